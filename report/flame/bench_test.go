package flame

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// BenchmarkRender draws a real profile, Alertmanager's heap (see
// ../testdata/README.md), streamed from its bytes once: the walk over its
// samples is timed, not the decoding of its tables.
func BenchmarkRender(b *testing.B) {
	p := readProfile(b, filepath.Join("..", "testdata", "alertmanager_heap2.pb.gz"))
	opts := Options{SampleType: "inuse_space", Title: "alertmanager · heap", Culprit: "github.com/prometheus/alertmanager/api.New"}
	b.ReportAllocs()
	var img *Image
	for b.Loop() {
		var err error
		if img, err = Render(*p, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(img.PNG)), "png-bytes")
}

// BenchmarkRenderLarge draws the large synthetic heap profile of
// ../testdata/bench/genlarge.go (400,000 samples, stacks 21 to 85 frames
// deep, a few thousand functions; 58 MB decoded), from
// $ALERTPROF_BENCH_DIR if set, else written afresh, as a capture does:
// streamed from its bytes (the tables decoded, the samples one at a
// time), the decoding timed. Each run reports the picture's bytes and the
// frames drawn and merged.
func BenchmarkRenderLarge(b *testing.B) {
	dir := os.Getenv("ALERTPROF_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
		cmd := exec.Command("go", "run", "./report/testdata/bench/genlarge.go", "-out", dir)
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("genlarge: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "large.pb.gz"))
	if err != nil {
		b.Fatal(err)
	}
	head, err := Stream(data, format.DefaultMaxDecoded)
	if err != nil {
		b.Fatal(err)
	}
	culprit := head.Header.Function[len(head.Header.Function)/2].Name
	samples := 0
	_ = head.Each(func(*profile.Sample) error { samples++; return nil })
	b.ReportAllocs()
	var img *Image
	for b.Loop() {
		src, err := Stream(data, format.DefaultMaxDecoded)
		if err != nil {
			b.Fatal(err)
		}
		if img, err = Render(src, Options{Title: "large", Culprit: culprit}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(img.PNG)), "png-bytes")
	b.ReportMetric(float64(img.Frames), "frames")
	b.ReportMetric(float64(img.Merged), "merged")
	b.ReportMetric(float64(samples), "samples")
}
