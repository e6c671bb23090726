package report

import (
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/memory"
	"github.com/alertprof/alertprof/report/pprof"
)

// TestHeadlineMemory: the memory verdict heads the pod's report only
// when it explains an OOM kill; otherwise the heap growth keeps it.
func TestHeadlineMemory(t *testing.T) {
	const mib = 1 << 20
	growth := "inuse heap grew +11.17MB, 100% allocated by main.(*cache).put"
	// 300 MiB of idle heap held over a 20 MiB heap: the runtime kept a spike.
	ms := memory.Stats{Alloc: 20 * mib, HeapAlloc: 20 * mib, HeapInuse: 22 * mib, HeapIdle: 310 * mib, HeapReleased: 10 * mib,
		HeapSys: 332 * mib, StackSys: 1 * mib, GCSys: 8 * mib, OtherSys: 3 * mib, NextGC: 40 * mib}
	ms.Sys = ms.HeapSys + ms.StackSys + ms.GCSys + ms.OtherSys
	bounds := &capture.MemoryBounds{Container: "app", Limit: 512 * mib, LimitText: "512Mi"}
	oom := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "OOMKilled", ExitCode: 137}}}
	crashed := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "Error", ExitCode: 2}}}
	cases := []struct {
		name   string
		memory *memory.Reconciliation
		want   string
	}{
		{"no memstats", nil, growth},
		{"no restart", memory.Reconcile(ms, bounds, nil), growth},
		{"restarted, not for memory", memory.Reconcile(ms, bounds, crashed), growth},
		{"OOMKilled and explained", memory.Reconcile(ms, bounds, oom), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := PodReport{Kind: capture.KindRestart, Memory: c.memory, Profiles: []ProfileReport{
				{Name: "heap-2", Summary: &pprof.Summary{Diff: true, Headline: &pprof.Headline{Text: growth}}},
			}}
			want := c.want
			if want == "" {
				want = c.memory.Verdict
				if !strings.HasPrefix(want, "OOMKilled at limit 512Mi") {
					t.Fatalf("verdict %q does not lead with the kill", want)
				}
			}
			if got := Headline(pr); got != want {
				t.Errorf("headline %q, want %q", got, want)
			}
		})
	}
}

// TestHeadlinePrefersTheTraceOnlyForIdleLatency checks when the trace's
// headline replaces the profiles'.
func TestHeadlinePrefersTheTraceOnlyForIdleLatency(t *testing.T) {
	cpu := pprof.Summary{Kind: "cpu", Headline: &pprof.Headline{Text: "CPU 10ms in 1s"}}
	waiting := &exectrace.Summary{Dominant: exectrace.Network, CPUBusy: 3, Headline: "network wait 80% of goroutine time, mostly in main.callBackend (3 goroutines, 4s)"}
	busy := &exectrace.Summary{Dominant: exectrace.Network, CPUBusy: 90, Headline: "network wait 60% of goroutine time"}
	running := &exectrace.Summary{Dominant: exectrace.Running, CPUBusy: 95, Headline: "running 70% of goroutine time"}
	tests := []struct {
		name, kind string
		trace      *exectrace.Summary
		want       string
	}{
		{"latency, idle CPU, network wait", capture.KindLatency, waiting, waiting.Headline},
		{"latency, busy CPU", capture.KindLatency, busy, cpu.Headline.Text},
		{"latency, running dominates", capture.KindLatency, running, cpu.Headline.Text},
		{"not a latency alert", capture.KindDefault, waiting, cpu.Headline.Text},
		{"no trace", capture.KindLatency, nil, cpu.Headline.Text},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := PodReport{Kind: tc.kind, Profiles: []ProfileReport{{Name: "cpu", Summary: &cpu}, {Name: "trace", Trace: tc.trace}}}
			if got := Headline(pr); got != tc.want {
				t.Errorf("headline %q, want %q", got, tc.want)
			}
		})
	}
}
