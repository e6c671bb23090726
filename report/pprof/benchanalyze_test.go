//go:build benchcmp

package pprof

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// largeProfile reads and parses one of the profiles testdata/bench/genlarge.go
// writes: from $ALERTPROF_BENCH_DIR if set, else written afresh. Run with
//
//	go test -tags benchcmp -run XXX -bench Large ./report/pprof/
func largeProfile(b *testing.B, name string) ([]byte, *profile.Profile) {
	b.Helper()
	dir := os.Getenv("ALERTPROF_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
		cmd := exec.Command("go", "run", "./report/testdata/bench/genlarge.go", "-out", dir)
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("genlarge: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	p, err := format.ParseProfile(data)
	if err != nil {
		b.Fatal(err)
	}
	return data, p
}

// BenchmarkParseLarge is the fixed cost of a run: ParseProfile (gzip and
// google/pprof's decoding) on the large heap profile.
func BenchmarkParseLarge(b *testing.B) {
	data, _ := largeProfile(b, "heap.pb.gz")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := format.ParseProfile(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeLarge is Analyze alone on the parsed large profiles: for
// the heap profile, three sample types and their headlines.
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

// BenchmarkAnalyzeDataLarge is the streaming path on the large profiles'
// bytes, as report.Analyze runs it. Besides time and allocations it
// reports peak-heap/decoded-byte: the most heap the run held (live and not
// yet collected, sampled every 100 µs, less what the benchmark held
// before) per byte of the profile decompressed, the estimate a memory
// budget needs.
func BenchmarkAnalyzeDataLarge(b *testing.B) {
	for _, name := range []string{"heap.pb.gz", "cpu.pb.gz", "large.pb.gz"} {
		b.Run(name, func(b *testing.B) {
			data, p := largeProfile(b, name)
			var raw bytes.Buffer
			if err := p.WriteUncompressed(&raw); err != nil {
				b.Fatal(err)
			}
			decoded := raw.Len()
			p, raw = nil, bytes.Buffer{}
			peakHeap(b, decoded, func() error {
				_, err := AnalyzeData(data, 0, Options{Top: 10})
				return err
			})
		})
	}
}

// heapObjects is the heap memory held by objects, live or not yet swept.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
