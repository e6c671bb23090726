package report

import (
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/pprof"
)

// TestHeadlineRootCauseRules: when the lock holder and a goroutine leak
// lead the pod's headline, and when they give way.
func TestHeadlineRootCauseRules(t *testing.T) {
	mutex := &pprof.Summary{Kind: pprof.KindMutex, SampleType: "delay", Unit: "nanoseconds", Total: 1e9,
		Headline: &pprof.Headline{Function: "sync.(*Mutex).Unlock", Caller: "main.rebuild", Pct: 97,
			Text: "mutex wait 1s, 97% in sync.(*Mutex).Unlock ← main.rebuild"}}
	runtimeHolder := &pprof.Summary{Kind: pprof.KindMutex, SampleType: "delay", Unit: "nanoseconds", Total: 1e9,
		Headline: &pprof.Headline{Function: "runtime.unlock", Pct: 97, Text: "mutex wait 1s, 97% in runtime.unlock"}}
	trace := &exectrace.Summary{Dominant: exectrace.Sync, CPUBusy: 5, Headline: "sync block 80% of goroutine time, mostly in main.handle",
		Sync: []exectrace.Stack{{Caller: "main.handle", Reason: "sync", Goroutines: 12,
			Frames: []string{"internal/sync.runtime_SemacquireMutex", "sync.(*Mutex).Lock", "main.handle"}}}}
	netTrace := &exectrace.Summary{Dominant: exectrace.Network, CPUBusy: 5, Headline: "network wait 90% of goroutine time, mostly in main.call",
		Network: []exectrace.Stack{{Caller: "main.call", Goroutines: 30, Frames: []string{"internal/poll.runtime_pollWait", "main.call"}}}}
	leakDump := &goroutines.Dump{Total: 2100, Groups: []goroutines.Group{
		{Count: 2000, State: "chan send", Top: "main.worker", Stack: []string{"runtime.gopark", "runtime.chansend1", "main.worker"}, CreatedBy: "main.start"},
		{Count: 100, State: "IO wait", Top: "main.serve", Stack: []string{"main.serve"}}}}
	small := &goroutines.Dump{Total: 30, Groups: []goroutines.Group{{Count: 20, State: "chan send", Top: "main.worker", Stack: []string{"main.worker"}}}}
	growth := func(caller string, goroutines bool) *pprof.Summary {
		return &pprof.Summary{Kind: pprof.KindHeap, Diff: true, Headline: &pprof.Headline{Function: "runtime.mallocgc", Caller: caller,
			Runtime: !strings.HasPrefix(caller, "main."), NewGoroutines: goroutines, Net: 1 << 20, Text: "inuse heap grew by " + caller}}
	}
	const leakLine = "goroutine leak: 2000 of 2100 goroutines blocked in chan send at main.worker, created by main.start"
	tests := []struct {
		name, kind string
		profiles   []ProfileReport
		want       string
	}{
		{"holder and trace waiters", capture.KindLatency, []ProfileReport{{Name: "mutex", Summary: mutex}, {Name: "trace", Trace: trace}},
			"lock held by main.rebuild (97.00% of 1s mutex delay), 12 goroutines waiting in sync.Mutex.Lock at main.handle"},
		{"holder, latency, no waiters seen", capture.KindLatency, []ProfileReport{{Name: "mutex", Summary: mutex}},
			"lock held by main.rebuild (97.00% of 1s mutex delay)"},
		{"holder, no waiters, not latency", capture.KindDefault, []ProfileReport{{Name: "mutex", Summary: mutex}}, mutex.Headline.Text},
		{"holder, trace shows no lock wait", capture.KindLatency, []ProfileReport{{Name: "mutex", Summary: mutex}, {Name: "trace", Trace: netTrace}}, netTrace.Headline},
		{"runtime holder", capture.KindLatency, []ProfileReport{{Name: "mutex", Summary: runtimeHolder}, {Name: "trace", Trace: trace}}, trace.Headline},
		{"leak, growth by new goroutines", capture.KindMemory, []ProfileReport{{Name: "heap-2", Summary: growth("runtime.malg", true)}, {Name: "goroutine", Goroutines: leakDump}}, leakLine},
		{"leak, growth in the leaked stacks", capture.KindMemory, []ProfileReport{{Name: "heap-2", Summary: growth("main.worker", false)}, {Name: "goroutine", Goroutines: leakDump}}, leakLine},
		{"leak, no growth", capture.KindDefault, []ProfileReport{{Name: "goroutine", Goroutines: leakDump}}, leakLine},
		{"leak, growth elsewhere", capture.KindMemory, []ProfileReport{{Name: "heap-2", Summary: growth("main.cache", false)}, {Name: "goroutine", Goroutines: leakDump}}, "inuse heap grew by main.cache"},
		{"too few goroutines", capture.KindMemory, []ProfileReport{{Name: "heap-2", Summary: growth("runtime.malg", true)}, {Name: "goroutine", Goroutines: small}}, "inuse heap grew by runtime.malg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Headline(PodReport{Kind: tc.kind, Profiles: tc.profiles}); got != tc.want {
				t.Errorf("headline %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBlockProfileNamesNoHolder: a block profile's stacks are the
// waiters', so its culprit is never called the lock's holder.
func TestBlockProfileNamesNoHolder(t *testing.T) {
	block := &pprof.Summary{Kind: pprof.KindBlock, SampleType: "delay", Unit: "nanoseconds", Total: 1e9,
		Headline: &pprof.Headline{Function: "sync.(*Mutex).Lock", Caller: "main.handle", Pct: 90, Text: "blocked 1s, 90% in sync.(*Mutex).Lock ← main.handle"}}
	dump := &goroutines.Dump{Total: 12, Groups: []goroutines.Group{{Count: 12, State: "sync.Mutex.Lock", Top: "main.handle",
		Stack: []string{"sync.(*Mutex).Lock", "main.handle"}}}}
	pr := PodReport{Kind: capture.KindLatency, Profiles: []ProfileReport{{Name: "block", Summary: block}, {Name: "goroutine", Goroutines: dump}}}
	if got := Headline(pr); got != block.Headline.Text {
		t.Errorf("headline %q, want the block profile's %q", got, block.Headline.Text)
	}
}
