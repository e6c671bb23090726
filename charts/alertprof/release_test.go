//go:build integration

package chart_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

const releaseVersion = "9.8.7"

// TestRelease runs the release configuration for real: `goreleaser check`,
// then `goreleaser release` (publishing skipped) on a copy of this
// working tree tagged v9.8.7, limited to this machine's platform. The
// archive's binary must report 9.8.7, the packaged chart's appVersion must
// equal that stamped version (so its default image is this release), the
// image must carry it too, and sha256sums.txt must cover every part.
func TestRelease(t *testing.T) {
	gr := os.Getenv("ALERTPROF_GORELEASER")
	if gr == "" {
		t.Fatal(`ALERTPROF_GORELEASER must name the goreleaser binary; run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`)
	}
	helmPath := helmBin(t)
	root := repoCopy(t)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "HELM="+helmPath, "IMAGE_PLATFORMS=linux/"+runtime.GOARCH,
			"HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", filepath.Base(name), args, err, out)
		}
		return string(out)
	}
	run(gr, "check", "--config", ".ci/goreleaser.yaml")

	// One platform only: cross-compiling all four is the release job's work.
	cfgPath := filepath.Join(root, ".ci", "goreleaser.yaml")
	cfg := readFile(t, cfgPath)
	for old, repl := range map[string]string{
		"goos: [linux, darwin]":  "goos: [" + runtime.GOOS + "]",
		"goarch: [amd64, arm64]": "goarch: [" + runtime.GOARCH + "]",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf(".ci/goreleaser.yaml has no %q to narrow", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	writeTestFile(t, cfgPath, cfg)
	run("git", "init", "-q")
	run("git", "add", "-A")
	run("git", "-c", "user.name=release-test", "-c", "user.email=release-test@example.invalid", "commit", "-qm", "release test")
	run("git", "tag", "v"+releaseVersion)
	run("git", "remote", "add", "origin", "https://github.com/alertprof/alertprof.git")
	out := run(gr, "release", "--config", ".ci/goreleaser.yaml", "--clean", "--skip=publish,announce,validate")
	t.Logf("goreleaser release:\n%s", lastLines(out, 12))

	dist, extras := filepath.Join(root, "dist"), filepath.Join(root, "dist-extra")
	archive := filepath.Join(dist, "alertprof-"+releaseVersion+"."+runtime.GOOS+"-"+runtime.GOARCH+".tar.gz")
	cv := regexp.MustCompile(`(?m)^version: (\S+)$`).FindStringSubmatch(readFile(t, "Chart.yaml"))
	if cv == nil {
		t.Fatal("Chart.yaml has no version")
	}
	chartPkg := filepath.Join(extras, "alertprof-"+cv[1]+".tgz")
	image := filepath.Join(extras, "alertprof-image-"+releaseVersion+".tar")

	// sha256sums.txt covers the archive, the chart and the image.
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dist, "sha256sums.txt"))), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		sums[name] = sum
	}
	for _, f := range []string{archive, chartPkg, image} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("release part missing: %v", err)
		}
		h := sha256.Sum256(b)
		if got := sums[filepath.Base(f)]; got != hex.EncodeToString(h[:]) {
			t.Errorf("sha256sums.txt has %q for %s, the file's sha256 is %x", got, filepath.Base(f), h)
		}
	}

	// The archive: the binary, stamped, with the license and docs.
	bin := filepath.Join(t.TempDir(), "alertprof")
	members := untarGz(t, archive, "alertprof-"+releaseVersion+"."+runtime.GOOS+"-"+runtime.GOARCH+"/alertprof", bin)
	for _, want := range []string{"LICENSE", "README.md", "CHANGELOG.md", "alertprof"} {
		if !strings.Contains(members, "/"+want+"\n") {
			t.Errorf("archive lacks %s:\n%s", want, members)
		}
	}
	vout, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("alertprof version: %v\n%s", err, vout)
	}
	m := regexp.MustCompile(`version (\S+) `).FindStringSubmatch(string(vout))
	if m == nil {
		t.Fatalf("alertprof version printed no version:\n%s", vout)
	}
	stamped := m[1]
	if stamped != releaseVersion {
		t.Errorf("the released binary reports version %q, want the tag's %s", stamped, releaseVersion)
	}

	// The chart package: appVersion is the binary's stamped version, so
	// its default image is this release's.
	show, err := helm(t, "show", "chart", chartPkg)
	if err != nil {
		t.Fatalf("helm show chart: %v\n%s", err, show)
	}
	am := regexp.MustCompile(`(?m)^appVersion: "?([^"\n]+)"?$`).FindStringSubmatch(show)
	if am == nil || am[1] != stamped {
		t.Errorf("packaged chart appVersion %q, want the binary's stamped version %q:\n%s", am, stamped, show)
	}
	rendered, err := helm(t, "template", "r", chartPkg, "--kube-version", "1.34.4")
	if err != nil {
		t.Fatalf("helm template of the package: %v\n%s", err, rendered)
	}
	var dep appsv1.Deployment
	parseObjects(t, rendered).one(t, "Deployment", &dep)
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/alertprof/alertprof:"+stamped {
		t.Errorf("the packaged chart deploys %q, want the release's image", img)
	}

	// The image: an OCI layout whose index names the version.
	index := tarMember(t, image, "index.json")
	if !strings.Contains(index, `"org.opencontainers.image.version":"`+releaseVersion+`"`) {
		t.Errorf("image index.json does not name %s:\n%s", releaseVersion, index)
	}
}

// repoCopy copies this working tree's files (tracked and untracked, not
// ignored) to a temporary directory, so the release writes nothing here.
func repoCopy(t *testing.T) string {
	t.Helper()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	src := strings.TrimSpace(string(top))
	list := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = src
	files, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(src, f))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		} else if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// untarGz lists a .tar.gz's members (one per line) and extracts member to
// path.
func untarGz(t *testing.T, archive, member, path string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var names strings.Builder
	tr := tar.NewReader(zr)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names.WriteString(h.Name + "\n")
		if h.Name == member {
			out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, io.LimitReader(tr, 512<<20)); err != nil {
				t.Fatal(err)
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("%s has no %s:\n%s", archive, member, names.String())
	}
	return names.String()
}

// tarMember returns one small member of a tar file.
func tarMember(t *testing.T, archive, name string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", archive, name, err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeTestFile(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
