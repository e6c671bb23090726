package pproftest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// Heap is a gzipped heap profile, shaped as the Go runtime writes one
// (alloc_objects, alloc_space, inuse_objects, inuse_space), with one
// sample per function of inuse: its in-use bytes, allocated by
// runtime.mallocgc called from that function, called from main.main.
func Heap(t testing.TB, inuse map[string]int64) []byte {
	t.Helper()
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		DefaultSampleType: "inuse_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            512 * 1024,
	}
	fn := func(name string) *profile.Location {
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
		p.Location = append(p.Location, l)
		return l
	}
	malloc, main := fn("runtime.mallocgc"), fn("main.main")
	names := make([]string, 0, len(inuse))
	for name := range inuse {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b := inuse[name]
		p.Sample = append(p.Sample, &profile.Sample{
			Location: []*profile.Location{malloc, fn(name), main},
			Value:    []int64{b / 1024, b, b / 1024, b},
		})
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
