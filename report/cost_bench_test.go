package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// synthHeap is a heap profile shaped like runtime/pprof's: deep stacks
// drawn from a few thousand functions, four sample types; samples set
// how large it is.
func synthHeap(samples int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
	}
	for i := range 4000 {
		fn := &profile.Function{ID: uint64(i + 1), Name: fmt.Sprintf("example.com/svc/pkg%d.(*Type%d).Method%d", i%300, i%40, i), Filename: fmt.Sprintf("/src/pkg%d/file%d.go", i%300, i%20)}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, &profile.Location{ID: uint64(i + 1), Address: uint64(0x400000 + i*16), Line: []profile.Line{{Function: fn, Line: int64(10 + i%500)}}})
	}
	for range samples {
		stack := make([]*profile.Location, 10+r.IntN(30))
		for j := range stack {
			stack[j] = p.Location[r.IntN(len(p.Location))]
		}
		n := int64(1 + r.IntN(50))
		p.Sample = append(p.Sample, &profile.Sample{Location: stack, Value: []int64{n, n * 64, n / 2, n * 32}})
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// BenchmarkCost measures what the memory budget charges for: the bytes
// allocated while a pprof profile is decoded and analysed, and the bytes
// its decoded form keeps, each per byte of the profile decompressed,
// beside what format.Cost charges (cost/decoded; see format.Cost for the
// peak of the live heap, which the charge covers).
func BenchmarkCost(b *testing.B) {
	data := synthHeap(60_000)
	decoded, err := format.DecodedSize(data, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	var alloc, kept float64
	for b.Loop() {
		runtime.GC()
		var before, parsed, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := format.ParseProfileMax(data, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&parsed)
		pr := PodReport{}
		if errs := Analyze(context.Background(), &pr, []Artifact{{Name: "heap", Data: data, Parsed: p}}, Options{Top: 10}); len(errs) > 0 {
			b.Fatal(errs)
		}
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(p)
		alloc = float64(after.TotalAlloc - before.TotalAlloc)
		kept = float64(parsed.HeapAlloc) - float64(before.HeapAlloc)
	}
	b.ReportMetric(float64(decoded)/(1<<20), "decoded-MiB")
	b.ReportMetric(alloc/float64(decoded), "alloc/decoded")
	b.ReportMetric(kept/float64(decoded), "kept/decoded")
	b.ReportMetric(float64(format.Cost(format.Profile, decoded))/float64(decoded), "cost/decoded")
}
