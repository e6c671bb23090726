//go:build benchcmp

package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// largeDir holds the profiles testdata/bench/genlarge.go writes, generated
// once per test binary (or taken from $ALERTPROF_BENCH_DIR if set).
var largeDir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv("ALERTPROF_BENCH_DIR"); d != "" {
		return d, nil
	}
	d, err := os.MkdirTemp("", "alertprof-bench")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "run", "./report/testdata/bench/genlarge.go", "-out", d)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return d, nil
})

func largeProfile(b *testing.B, name string) ([]byte, *profile.Profile) {
	b.Helper()
	dir, err := largeDir()
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		b.Fatal(err)
	}
	return data, p
}

// BenchmarkParseLarge is the fixed cost: decoding the large heap profile.
func BenchmarkParseLarge(b *testing.B) {
	data, _ := largeProfile(b, "heap.pb.gz")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProfile(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeLarge is Analyze alone on the parsed large profiles.
func BenchmarkAnalyzeLarge(b *testing.B) {
	for _, name := range []string{"heap.pb.gz", "cpu.pb.gz"} {
		b.Run(name, func(b *testing.B) {
			_, p := largeProfile(b, name)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyze(p, Options{Top: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
