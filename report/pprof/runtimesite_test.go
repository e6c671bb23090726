package pprof

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// goroutineHeap is a heap profile whose inuse space is mostly the
// descriptors of new goroutines: their stacks, as the runtime records
// them, end at runtime.systemstack with no user frame. The stack is the
// one Go 1.26 writes for 10,000 goroutines blocked on a channel.
func goroutineHeap(goroutines int64) *profile.Profile {
	types := []*profile.ValueType{{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}}
	p := synthProfile(types, []stack{
		{frames: []string{"runtime.mallocgc", "runtime.newobject", "runtime.malg", "runtime.newproc1", "runtime.newproc.func1", "runtime.systemstack"},
			values: []int64{goroutines, goroutines * 480}},
		{frames: []string{"runtime.mallocgc", "runtime.makeslice", "main.fetchAll", "main.main"}, values: []int64{1, 1 << 20}},
		{frames: []string{"main.worker", "runtime.goexit"}, values: []int64{goroutines, goroutines * 112}},
	})
	p.PeriodType = &profile.ValueType{Type: "space", Unit: "bytes"}
	p.Period = 512 * 1024
	return p
}

// TestHeadlineNeverBlamesTheAllocator: when the heaviest stacks hold no
// user code, the headline blames the runtime's own site above its
// allocator (runtime.malg, new goroutines), in a summary, a streamed
// summary and a diff alike.
func TestHeadlineNeverBlamesTheAllocator(t *testing.T) {
	opts := Options{SampleIndex: "inuse_space"}
	sum, err := Summarize(goroutineHeap(10_000), opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := goroutineHeap(10_000).Write(&buf); err != nil {
		t.Fatal(err)
	}
	streamed, err := AnalyzeData(buf.Bytes(), 1<<20, opts)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := Diff(goroutineHeap(100), goroutineHeap(10_000), opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]Summary{"summary": sum, "streamed": streamed[0], "diff": diff} {
		t.Run(name, func(t *testing.T) {
			h := s.Headline
			if h == nil {
				t.Fatal("no headline")
			}
			if h.Function != "runtime.mallocgc" {
				t.Fatalf("heaviest function %q, want runtime.mallocgc (the table is unchanged)", h.Function)
			}
			if h.Culprit() != "runtime.malg" || !h.Runtime || !h.NewGoroutines {
				t.Errorf("culprit %q (runtime %v, new goroutines %v), want runtime.malg, the runtime's site", h.Culprit(), h.Runtime, h.NewGoroutines)
			}
			if !strings.HasSuffix(h.Text, "runtime.mallocgc ← runtime.malg (new goroutines)") {
				t.Errorf("headline %q does not end with the site", h.Text)
			}
		})
	}
}

// TestRuntimeSite: the site skips the allocation helpers and stack
// switches, and is the outermost frame when there is nothing else.
func TestRuntimeSite(t *testing.T) {
	names := []string{"runtime.mallocgc", "runtime.growslice", "runtime.gcDrain", "runtime.systemstack", "internal/runtime/maps.newarray"}
	for _, c := range []struct {
		ids  []int32
		want string
	}{
		{[]int32{0, 1, 2, 3}, "runtime.gcDrain"},
		{[]int32{2}, "runtime.gcDrain"},
		{[]int32{4, 0, 3}, "runtime.systemstack"},
	} {
		if got := names[runtimeSite(c.ids, names)]; got != c.want {
			t.Errorf("runtimeSite(%v) = %s, want %s", c.ids, got, c.want)
		}
	}
}
