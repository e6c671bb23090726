//go:build benchcmp

package pprof

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/pproftest"
)

// TestBenchCompare times whole processes: `alertprof analyze --top 10` and
// `go tool pprof -top -nodecount=10 -symbolize=none` on the same large
// profiles, which testdata/bench/genlarge.go writes (a heap profile over
// 5 MB gzipped, a CPU profile of 120,000 samples, and a heap profile of
// 400,000 labelled samples with deep stacks, over 50 MB decoded). It
// prints wall time and peak RSS of each and their ratios, and checks that
// the numbers agree.
// Run it with
//
//	go test -tags benchcmp -run BenchCompare -v -timeout 30m ./report/pprof/
func TestBenchCompare(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join("..", "..")
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("go", "run", "./report/testdata/bench/genlarge.go", "-out", dir)
	alertprof := filepath.Join(dir, "alertprof")
	run("go", "build", "-o", alertprof, "./cmd/alertprof")
	pprofBin := strings.TrimSpace(string(must(exec.Command("go", "tool", "-n", "pprof").Output())))

	benchLarge(t, alertprof, filepath.Join(dir, "large.pb.gz"))
	for _, name := range []string{"heap.pb.gz", "cpu.pb.gz"} {
		file := filepath.Join(dir, name)
		st, _ := os.Stat(file)
		ap, apOut := measure(t, alertprof, "analyze", "--top", "10", "--format", "json", "--sample-index", "", file)
		pp, _ := measure(t, pprofBin, "-top", "-nodecount=10", "-symbolize=none", file)
		gt, _ := measure(t, "go", "tool", "pprof", "-top", "-nodecount=10", "-symbolize=none", file)
		t.Logf("%s (%.1f MB): alertprof %v %d MB | pprof binary %v %d MB | go tool pprof %v %d MB",
			name, float64(st.Size())/1e6, ap.wall.Round(time.Millisecond), ap.rss>>10,
			pp.wall.Round(time.Millisecond), pp.rss>>10, gt.wall.Round(time.Millisecond), gt.rss>>10)
		t.Logf("%s: speed-up %.1f× (vs pprof binary), %.1f× (vs go tool pprof); peak RSS ratio %.2f (alertprof/pprof)",
			name, pp.wall.Seconds()/ap.wall.Seconds(), gt.wall.Seconds()/ap.wall.Seconds(), float64(ap.rss)/float64(pp.rss))

		// Identical numbers: every row against pprof printing exact values.
		var got Summary
		if err := json.Unmarshal(firstLine(apOut), &got); err != nil {
			t.Fatal(err)
		}
		want := pproftest.RunTop(t, file, "", got.Unit, 10)
		if got.Total != want.Total || len(got.Rows) != len(want.Rows) {
			t.Fatalf("%s: total %d rows %d; pprof total %d rows %d", name, got.Total, len(got.Rows), want.Total, len(want.Rows))
		}
		for i, w := range want.Rows {
			if g := got.Rows[i]; g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum {
				t.Errorf("%s row %d: %+v; pprof %q", name, i, g, w.Line)
			}
		}
		if ap.rss > pp.rss {
			t.Errorf("%s: alertprof peak RSS %d kB above pprof's %d kB", name, ap.rss, pp.rss)
		}
	}
}

// benchLarge compares alertprof analyze with one go tool pprof -top run on
// the large profile (pprof takes minutes and gigabytes on it), printing
// wall time and peak RSS against the decoded size and against pprof's,
// and checks that the rows are identical.
func benchLarge(t *testing.T, alertprof, file string) {
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	decoded := decodedSize(t, file)
	ap, apOut := measure(t, alertprof, "analyze", "--top", "10", "--format", "json", file)
	var got Summary
	if err := json.Unmarshal(firstLine(apOut), &got); err != nil {
		t.Fatal(err)
	}
	gt, gtOut := measure(t, "go", "tool", "pprof", "-top", "-nodecount=10", "-symbolize=none", "-unit="+got.Unit, file)
	want := pproftest.Parse(t, string(gtOut))
	t.Logf("large.pb.gz (%.1f MB, %.1f MB decoded): alertprof %v %d MB | go tool pprof %v %d MB",
		float64(st.Size())/1e6, float64(decoded)/1e6, ap.wall.Round(time.Millisecond), ap.rss>>10,
		gt.wall.Round(time.Millisecond), gt.rss>>10)
	perDecoded := float64(ap.rss<<10) / float64(decoded)
	t.Logf("large.pb.gz: speed-up %.1f× (target ≥ 10×: %s); peak RSS %.2f× the decoded size (target ≤ 3: %s), %.3f× pprof's (target ≤ 0.25: %s)",
		gt.wall.Seconds()/ap.wall.Seconds(), met(gt.wall >= 10*ap.wall),
		perDecoded, met(perDecoded <= 3), float64(ap.rss)/float64(gt.rss), met(ap.rss*4 <= gt.rss))
	if got.Total != want.Total || len(got.Rows) != len(want.Rows) {
		t.Fatalf("large: total %d rows %d; pprof total %d rows %d", got.Total, len(got.Rows), want.Total, len(want.Rows))
	}
	for i, w := range want.Rows {
		if g := got.Rows[i]; g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum {
			t.Errorf("large row %d: %+v; pprof %q", i, g, w.Line)
		}
	}
	if ap.rss > gt.rss {
		t.Errorf("large: alertprof peak RSS %d kB above pprof's %d kB", ap.rss, gt.rss)
	}
}

// decodedSize is the size of a gzipped file once decompressed.
func decodedSize(t *testing.T, file string) int64 {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

type usage struct {
	wall time.Duration
	rss  int64 // peak RSS in kB
}

func measure(t *testing.T, name string, args ...string) (usage, []byte) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PPROF_BINARY_PATH="+t.TempDir(), "PPROF_TMPDIR="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return usage{wall: wall, rss: ru.Maxrss}, out.Bytes()
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return b
}
