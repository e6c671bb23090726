//go:build integration

package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestImage builds the image for linux/amd64 and linux/arm64 as a release
// would, reads it back from the OCI layout, checks each platform's
// configuration, then takes the amd64 binary out of its layer and runs
// it: `alertprof version` and the alertprof_build_info metric of a
// running `alertprof serve` show the stamped version.
func TestImage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "image")
	const version = "9.8.7-test"
	var log bytes.Buffer
	code := run(context.Background(), []string{"--out", out, "--version", version, "--revision", "abc123", "--branch", "testing", "--date", "20261130-10:00:00"}, &log, &log)
	if code != 0 {
		t.Fatalf("imagebuild exited %d:\n%s", code, log.String())
	}
	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := im.Annotations["org.opencontainers.image.version"]; got != version {
		t.Errorf("index version annotation %q, want %q", got, version)
	}
	arches := map[string]v1.Image{}
	for _, d := range im.Manifests {
		if d.Platform == nil || d.Platform.OS != "linux" {
			t.Fatalf("manifest %s has platform %+v", d.Digest, d.Platform)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		arches[d.Platform.Architecture] = img
	}
	if len(arches) != 2 || arches["amd64"] == nil || arches["arm64"] == nil {
		t.Fatalf("platforms %v, want amd64 and arm64", keys(arches))
	}
	for arch, img := range arches {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if cf.Architecture != arch || cf.OS != "linux" {
			t.Errorf("%s: config says %s/%s", arch, cf.OS, cf.Architecture)
		}
		if c.User != "65532:65532" {
			t.Errorf("%s: user %q, want the non-root 65532:65532", arch, c.User)
		}
		if strings.Join(c.Entrypoint, " ") != "/usr/local/bin/alertprof" || strings.Join(c.Cmd, " ") != "serve" {
			t.Errorf("%s: entrypoint %q cmd %q", arch, c.Entrypoint, c.Cmd)
		}
		for k, want := range map[string]string{
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.revision": "abc123",
			"org.opencontainers.image.licenses": "Apache-2.0",
			"org.opencontainers.image.title":    "alertprof",
			"org.opencontainers.image.created":  "2026-11-30T10:00:00Z",
		} {
			if c.Labels[k] != want {
				t.Errorf("%s: label %s = %q, want %q", arch, k, c.Labels[k], want)
			}
		}
		files := layerFiles(t, img)
		for _, f := range []string{"usr/local/bin/alertprof", "etc/ssl/certs/ca-certificates.crt", "etc/passwd", "etc/group"} {
			if _, ok := files[f]; !ok {
				t.Errorf("%s: image has no %s", arch, f)
			}
		}
		if !strings.Contains(string(files["etc/passwd"]), "nonroot:x:65532:65532:") {
			t.Errorf("%s: /etc/passwd does not name the non-root user:\n%s", arch, files["etc/passwd"])
		}
	}

	// The amd64 binary, as the image holds it, runs here.
	bin := filepath.Join(t.TempDir(), "alertprof")
	if err := os.WriteFile(bin, layerFiles(t, arches["amd64"])["usr/local/bin/alertprof"], 0o755); err != nil {
		t.Fatal(err)
	}
	vout, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("alertprof version: %v\n%s", err, vout)
	}
	if !strings.Contains(string(vout), "alertprof, version "+version+" (branch: testing, revision: abc123)") {
		t.Errorf("alertprof version printed:\n%s", vout)
	}
	metrics := buildInfo(t, bin)
	if !regexp.MustCompile(`alertprof_build_info\{[^}]*version="`+regexp.QuoteMeta(version)+`"[^}]*\} 1`).MatchString(metrics) ||
		!strings.Contains(metrics, `revision="abc123"`) {
		t.Errorf("/metrics has no alertprof_build_info with version %s and revision abc123:\n%s", version, grepLines(metrics, "build_info"))
	}
}

// layerFiles reads every regular file of img's filesystem.
func layerFiles(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(h.Name, "/")] = b
		}
	}
}

// buildInfo runs `alertprof serve` from bin on a free loopback port and
// returns its /metrics page.
func buildInfo(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(stderr)) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertprof serve on %s did not answer /metrics: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func keys(m map[string]v1.Image) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
