package handler

import (
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// TestPodHeadlineMemory: the memory verdict heads the pod's report only
// when it explains an OOM kill; otherwise the heap growth keeps it.
func TestPodHeadlineMemory(t *testing.T) {
	const mib = 1 << 20
	growth := "inuse heap grew +11.17MB, 100% allocated by main.(*cache).put"
	// 300 MiB of idle heap held over a 20 MiB heap: the runtime kept a spike.
	ms := report.MemStats{Alloc: 20 * mib, HeapAlloc: 20 * mib, HeapInuse: 22 * mib, HeapIdle: 310 * mib, HeapReleased: 10 * mib,
		HeapSys: 332 * mib, StackSys: 1 * mib, GCSys: 8 * mib, OtherSys: 3 * mib, NextGC: 40 * mib}
	ms.Sys = ms.HeapSys + ms.StackSys + ms.GCSys + ms.OtherSys
	bounds := &capture.MemoryBounds{Container: "app", Limit: 512 * mib, LimitText: "512Mi"}
	oom := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "OOMKilled", ExitCode: 137}}}
	crashed := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "Error", ExitCode: 2}}}
	cases := []struct {
		name   string
		memory *report.MemoryReconciliation
		want   string
	}{
		{"no memstats", nil, growth},
		{"no restart", report.Reconcile(ms, bounds, nil), growth},
		{"restarted, not for memory", report.Reconcile(ms, bounds, crashed), growth},
		{"OOMKilled and explained", report.Reconcile(ms, bounds, oom), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := report.PodReport{Kind: capture.KindRestart, Memory: c.memory, Profiles: []report.ProfileReport{
				{Name: "heap-2", Summary: &report.Summary{Diff: true, Headline: &report.Headline{Text: growth}}},
			}}
			want := c.want
			if want == "" {
				want = c.memory.Verdict
				if !strings.HasPrefix(want, "OOMKilled at limit 512Mi") {
					t.Fatalf("verdict %q does not lead with the kill", want)
				}
			}
			if got := podHeadline(pr); got != want {
				t.Errorf("headline %q, want %q", got, want)
			}
		})
	}
}
