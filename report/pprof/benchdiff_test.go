//go:build benchcmp

package pprof

import (
	"bytes"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture/format"
)

// BenchmarkDiffLarge diffs a large generated profile (the base) with a
// changed copy of it (a tenth of the samples dropped, a third grown) as
// report.Analyze's heap growth does: streamed, DiffData on the bytes, and
// whole, ParseProfile of both and Diff, as before DiffData. Besides time
// and allocations it reports peak-heap/decoded-B: the most heap the run
// held (sampled every 100 µs, less what the benchmark held before) per
// byte of the two profiles decompressed.
//
//	go test -tags benchcmp -run XXX -bench DiffLarge -benchtime 3x ./report/pprof/
func BenchmarkDiffLarge(b *testing.B) {
	for _, name := range []string{"heap.pb.gz", "large.pb.gz"} {
		baseData, p := largeProfile(b, name)
		kept := p.Sample[:0]
		for i, s := range p.Sample {
			switch i % 10 {
			case 0:
				continue
			case 1, 4, 7:
				for j := range s.Value {
					s.Value[j] *= 2
				}
			}
			kept = append(kept, s)
		}
		p.Sample = kept
		var cur, raw bytes.Buffer
		if err := p.Write(&cur); err != nil {
			b.Fatal(err)
		}
		if err := p.WriteUncompressed(&raw); err != nil {
			b.Fatal(err)
		}
		curData, decoded := cur.Bytes(), raw.Len()
		base, err := format.ParseProfile(baseData)
		if err != nil {
			b.Fatal(err)
		}
		raw.Reset()
		if err := base.WriteUncompressed(&raw); err != nil {
			b.Fatal(err)
		}
		decoded += raw.Len()
		p, base, raw = nil, nil, bytes.Buffer{}
		runs := map[string]func() error{
			"stream": func() error {
				_, err := DiffData(baseData, curData, 0, Options{Top: 10})
				return err
			},
			"whole": func() error {
				base, err := format.ParseProfile(baseData)
				if err != nil {
					return err
				}
				cur, err := format.ParseProfile(curData)
				if err != nil {
					return err
				}
				_, err = Diff(base, cur, Options{Top: 10})
				return err
			},
		}
		for _, how := range []string{"stream", "whole"} {
			b.Run(name+"/"+how, func(b *testing.B) {
				peakHeap(b, decoded, runs[how])
			})
		}
	}
}

// peakHeap runs run b.N times, reporting the peak heap it held per
// decoded byte.
func peakHeap(b *testing.B, decoded int, run func() error) {
	runtime.GC()
	base := heapObjects()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h := heapObjects(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
	b.ReportMetric(float64(decoded), "decoded-B")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/float64(decoded), "peak-heap/decoded-B")
}
