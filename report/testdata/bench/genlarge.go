//go:build ignore

// Command genlarge writes three large profiles for the analyze-versus-pprof
// benchmark: heap.pb.gz (four sample types, at least 5 MB gzipped),
// cpu.pb.gz (at least 100,000 samples) and large.pb.gz, a heap profile of
// 400,000 samples with stacks 21 to 85 frames deep and two labels on every
// sample, over 50 MB once decompressed. The profiles are synthetic but
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
	largeSamples := flag.Int("large-samples", 400_000, "samples in the large heap profile")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	heapTypes := []*profile.ValueType{
		{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
		{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
	}
	heapValues := func(r *rand.Rand) []int64 {
		objs := int64(1 + r.IntN(50))
		size := int64(8 << r.IntN(12))
		live := objs * int64(r.IntN(2))
		return []int64{objs * 100, objs * size * 100, live * 100, live * size * 100}
	}
	heap := build(rand.New(rand.NewPCG(1, 2)), *heapSamples, heapTypes,
		&profile.ValueType{Type: "space", Unit: "bytes"}, 512*1024, heapValues, shape{depth: 8, spread: 40})
	heap.DropFrames = `runtime\.malloc.*|runtime\.newobject`
	cpu := build(rand.New(rand.NewPCG(3, 4)), *cpuSamples, []*profile.ValueType{
		{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"},
	}, &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, 10_000_000, func(r *rand.Rand) []int64 {
		n := int64(1 + r.IntN(20))
		return []int64{n, n * 10_000_000}
	}, shape{depth: 8, spread: 40})
	cpu.DurationNanos = 60e9
	large := build(rand.New(rand.NewPCG(5, 6)), *largeSamples, heapTypes,
		&profile.ValueType{Type: "space", Unit: "bytes"}, 512*1024, heapValues, shape{depth: 20, spread: 60, labels: true, trunks: 150})
	large.DropFrames = heap.DropFrames
	for name, p := range map[string]*profile.Profile{"heap.pb.gz": heap, "cpu.pb.gz": cpu, "large.pb.gz": large} {
		if err := write(filepath.Join(*out, name), p); err != nil {
			log.Fatal(err)
		}
	}
}

// shape is how deep a profile's stacks are (depth to depth+spread-1
// frames), and whether its samples carry labels. With trunks, a stack is a
// few random leaf frames on one of that many shared callers' chains, as in
// a real service, whose profile compresses as well as a real one.
type shape struct {
	depth, spread int
	labels        bool
	trunks        int
}

func build(r *rand.Rand, n int, types []*profile.ValueType, period *profile.ValueType, periodValue int64, values func(*rand.Rand) []int64, sh shape) *profile.Profile {
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
	trunks := make([][]*profile.Location, sh.trunks)
	for i := range trunks {
		for range sh.depth + r.IntN(sh.spread) {
			trunks[i] = append(trunks[i], p.Location[zipf(r, nloc)])
		}
	}
	for range n {
		depth := sh.depth + r.IntN(sh.spread)
		if len(trunks) > 0 {
			depth = 1 + r.IntN(6)
		}
		s := &profile.Sample{Value: values(r)}
		if sh.labels {
			s.Label = map[string][]string{
				"handler": {fmt.Sprintf("/api/v1/route%02d", r.IntN(50))},
				"tenant":  {fmt.Sprintf("tenant-%04d", zipf(r, 2000))},
			}
		}
		for range depth {
			s.Location = append(s.Location, p.Location[zipf(r, nloc)])
		}
		if len(trunks) > 0 {
			s.Location = append(s.Location, trunks[zipf(r, len(trunks))]...)
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
