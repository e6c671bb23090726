package report

import (
	"github.com/alertprof/alertprof/capture"
)

// Headline is the pod's one sentence, the one rule every renderer shows:
//
//  1. the memory verdict, when it explains an OOM kill;
//  2. the growth of the goroutines since a base dump, when one was
//     given (alertprof analyze --base);
//  3. the lock holder a mutex profile names, with the goroutines
//     waiting for it, when the goroutine dump or trace shows some wait
//     (or, with neither captured, the alert is about latency): the cause
//     before its symptom, the waiters;
//  4. a goroutine leak (one large blocked group holding most goroutines),
//     unless the heap grew under user code other than the leak's: a
//     leak's memory is mostly the runtime's goroutine descriptors, whose
//     allocator would name nobody;
//  5. the execution trace's, when the alert is about latency and the
//     trace explains it by waits on an idle CPU (see
//     exectrace.Summary.WaitBound);
//  6. the heap growth since the workload's healthy baseline, when it
//     grew more than between the two snapshots (see SinceHealthy);
//     else the heap growth between the two snapshots, when the heap grew;
//  7. the main summary of the first profile, in plan order, that has a
//     headline (a heap that shrank says so here, after the snapshots);
//  8. the first goroutine dump's largest group;
//
// else "".
func Headline(pr PodReport) string {
	if pr.Memory.Explains() {
		return pr.Memory.Verdict
	}
	for _, p := range pr.Profiles {
		if p.GoroutineGrowth != nil {
			return p.GoroutineGrowth.Headline()
		}
	}
	if c := contention(pr); c != "" && contentionLeads(pr) {
		return c
	}
	if l := leak(pr); l != "" {
		return l
	}
	if pr.Kind == capture.KindLatency {
		for _, p := range pr.Profiles {
			if p.Trace.WaitBound() {
				return p.Trace.Headline
			}
		}
	}
	if s := sinceHealthyLeads(pr); s != "" {
		return s
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && p.Summary.Grew() {
			return p.Summary.Headline.Text
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && !p.Summary.Diff && p.Summary.Headline != nil {
			return p.Summary.Headline.Text
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && p.Summary.Headline != nil {
			return p.Summary.Headline.Text
		}
	}
	for _, p := range pr.Profiles {
		if p.Goroutines != nil {
			return p.Goroutines.Headline()
		}
	}
	return ""
}
