package report

import (
	"context"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/internal/testprog"
	"github.com/alertprof/alertprof/report/memory"
)

// The root-cause classes, each a real program captured for real. Lock
// convoy and goroutine leak: rootcause_test.go; network wait:
// handler.TestLatencyAlertLeadsWithTheTrace; heap growth: the demo
// (cmd/alertprof TestDemo) and TestHeadlineNamesHeapGrowth below.

// TestHeadlineNamesCPUCaller: the CPU goes to the standard library's
// SHA-256; the headline names the user function calling it.
func TestHeadlineNamesCPUCaller(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "cpu", "-waiters", "2")
	pr, _ := captureProfiles(t, addr, capture.KindLatency, capture.Settings{CPUSeconds: 1}, "cpu", "goroutines")
	t.Log(pr.Headline)
	cpu := pr.Profiles[0].Summary
	if cpu == nil || cpu.Headline == nil || !strings.HasPrefix(cpu.Headline.Function, "crypto/") || cpu.Headline.Caller != "main.hashPasswords" {
		t.Fatalf("cpu headline %+v, want crypto/… ← main.hashPasswords", cpu)
	}
	if pr.Headline != cpu.Headline.Text || !strings.HasSuffix(pr.Headline, " ← main.hashPasswords") {
		t.Errorf("headline %q, want the CPU's, naming main.hashPasswords", pr.Headline)
	}
}

// TestHeadlineSpikeThenIdle: the container was OOM-killed; the instance
// running now allocated 256 MiB, freed it, and idles with a small heap
// while its runtime still holds the memory. The headline is the memory
// reconciliation's verdict, not the small heap's top allocator.
func TestHeadlineSpikeThenIdle(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/memspike"), "", "-spike", "256")
	pr := PodReport{
		Kind:         capture.KindRestart,
		MemoryBounds: &capture.MemoryBounds{Container: "app", Limit: 320 << 20, LimitText: "320Mi"},
		Restart:      &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "OOMKilled", ExitCode: 137}}},
	}
	captureInto(t, addr, &pr, capture.Settings{}, capture.DefaultPlans[capture.KindRestart]...)
	t.Log(pr.Headline)
	if pr.Memory == nil || pr.Memory.Cause != memory.CauseRetained || !pr.Memory.Explains() {
		t.Fatalf("memory %+v, want the runtime holding a spike, explaining the kill", pr.Memory)
	}
	if pr.Headline != pr.Memory.Verdict || !strings.Contains(pr.Headline, "idle heap left from when the heap was larger (a spike)") {
		t.Errorf("headline %q, want the verdict %q naming the spike", pr.Headline, pr.Memory.Verdict)
	}
}

// TestHeadlineNamesHeapGrowth: a memory alert on a process whose cache
// grew 64 MiB between the two heap snapshots; the headline names the
// growing allocator.
func TestHeadlineNamesHeapGrowth(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "grow")
	get := fetcher(t, addr)
	get("/grow?mb=8")
	heap := get("/debug/pprof/heap?gc=1")
	get("/grow?mb=64")
	heap2 := get("/debug/pprof/heap?gc=1")
	dump := get("/debug/pprof/goroutine?debug=2")
	pr := PodReport{Kind: capture.KindMemory, Profiles: []ProfileReport{{Name: "heap"}, {Name: "heap-2"}, {Name: "goroutines"}}}
	arts := []Artifact{{Name: "heap", Data: heap}, {Name: "heap-2", Data: heap2}, {Name: "goroutines", Data: dump}}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	t.Log(pr.Headline)
	if !strings.HasPrefix(pr.Headline, "inuse heap grew +") || !strings.HasSuffix(pr.Headline, "main.(*sessionStore).save") {
		t.Errorf("headline %q, want inuse heap grew …main.(*sessionStore).save", pr.Headline)
	}
}
