//go:build ignore

// Command genlarge writes two large profiles for the analyze-versus-pprof
// benchmark: heap.pb.gz (four sample types, at least 5 MB gzipped) and
// cpu.pb.gz (at least 100,000 samples). The profiles are synthetic but
// shaped like runtime/pprof output: deep Go-style stacks drawn from a few
// thousand functions in a few hundred packages, some inlined frames, a
// mapping per binary, and samples written before locations and functions.
// The seed is fixed, so every run writes the same bytes.
//
//	go run ./report/testdata/bench/genlarge.go -out /tmp/alertprof-bench
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/google/pprof/profile"
)

func main() {
	out := flag.String("out", ".", "directory to write heap.pb.gz and cpu.pb.gz to")
	heapSamples := flag.Int("heap-samples", 90_000, "samples in the heap profile")
	cpuSamples := flag.Int("cpu-samples", 120_000, "samples in the CPU profile")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	heap := build(rand.New(rand.NewPCG(1, 2)), *heapSamples, []*profile.ValueType{
		{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
		{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
	}, &profile.ValueType{Type: "space", Unit: "bytes"}, 512*1024, func(r *rand.Rand) []int64 {
		objs := int64(1 + r.IntN(50))
		size := int64(8 << r.IntN(12))
		live := objs * int64(r.IntN(2))
		return []int64{objs * 100, objs * size * 100, live * 100, live * size * 100}
	})
	heap.DropFrames = `runtime\.malloc.*|runtime\.newobject`
	cpu := build(rand.New(rand.NewPCG(3, 4)), *cpuSamples, []*profile.ValueType{
		{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"},
	}, &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, 10_000_000, func(r *rand.Rand) []int64 {
		n := int64(1 + r.IntN(20))
		return []int64{n, n * 10_000_000}
	})
	cpu.DurationNanos = 60e9
	for name, p := range map[string]*profile.Profile{"heap.pb.gz": heap, "cpu.pb.gz": cpu} {
		if err := write(filepath.Join(*out, name), p); err != nil {
			log.Fatal(err)
		}
	}
}

func build(r *rand.Rand, n int, types []*profile.ValueType, period *profile.ValueType, periodValue int64, values func(*rand.Rand) []int64) *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x4000000, File: "/app/server", HasFunctions: true}
	p := &profile.Profile{SampleType: types, PeriodType: period, Period: periodValue, Mapping: []*profile.Mapping{m}, TimeNanos: 1_700_000_000e9}
	const nfunc = 6000
	for i := range nfunc {
		pkg := fmt.Sprintf("github.com/acme/svc/internal/pkg%03d", i%300)
		if i%5 == 0 {
			pkg = fmt.Sprintf("encoding/std%02d", i%40)
		}
		name := fmt.Sprintf("%s.(*T%d).Method%d", pkg, i%17, i)
		p.Function = append(p.Function, &profile.Function{ID: uint64(i + 1), Name: name, SystemName: name,
			Filename: "/src/" + pkg + "/file.go", StartLine: int64(i)})
	}
	// Locations: several per function, some with an inlined frame.
	const nloc = 40000
	for i := range nloc {
		f := p.Function[zipf(r, nfunc)]
		l := &profile.Location{ID: uint64(i + 1), Mapping: m, Address: 0x400000 + uint64(i)*64}
		if r.IntN(4) == 0 {
			in := p.Function[r.IntN(nfunc)]
			l.Line = append(l.Line, profile.Line{Function: in, Line: int64(r.IntN(500))})
		}
		l.Line = append(l.Line, profile.Line{Function: f, Line: int64(r.IntN(500))})
		p.Location = append(p.Location, l)
	}
	for range n {
		depth := 8 + r.IntN(40)
		s := &profile.Sample{Value: values(r)}
		for range depth {
			s.Location = append(s.Location, p.Location[zipf(r, nloc)])
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// zipf picks an index in [0,n) with a skew towards small indexes.
func zipf(r *rand.Rand, n int) int {
	x := r.Float64()
	return int(float64(n) * x * x * x)
}

func write(file string, p *profile.Profile) error {
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	return f.Close()
}
