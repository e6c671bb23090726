package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/memory"
)

// slowBackend is the summary of a trace of a service waiting on its
// backend, with a hostile function name.
func slowBackend() *exectrace.Summary {
	return &exectrace.Summary{
		Window: 5 * time.Second, Goroutines: 14, Total: 70 * time.Second, Procs: 4, CPUBusy: 2.5,
		States: []exectrace.State{
			{State: exectrace.Running, Time: time.Second, Pct: 100.0 / 70, Goroutines: 14},
			{State: exectrace.Network, Time: 60 * time.Second, Pct: 6000.0 / 70, Goroutines: 12},
			{State: exectrace.Sync, Time: 9 * time.Second, Pct: 900.0 / 70, Goroutines: 2},
		},
		Network: []exectrace.Stack{{Caller: "main.callBackend", Reason: "network", Time: 60 * time.Second, Pct: 85.7, Goroutines: 12,
			Frames: []string{"internal/poll.(*FD).Read", "net.(*conn).Read", "main.callBackend", "main.handle", "net/http.HandlerFunc.ServeHTTP"}}},
		Sync: []exectrace.Stack{{Caller: "main.(*pool).get<&>", Reason: "sync", Time: 9 * time.Second, Pct: 12.9, Goroutines: 2,
			Frames: []string{"sync.(*Mutex).Lock", "main.(*pool).get<&>"}}},
		Dominant: exectrace.Network, Culprit: "main.callBackend",
		Headline: "network wait 85.71% of goroutine time, mostly in main.callBackend (12 goroutines, 60s)",
		Idle:     10 * time.Second, IdleGoroutines: 3, Runtime: 20 * time.Second, RuntimeGoroutines: 4,
	}
}

// TestTraceRendering: a latency pod's trace is in its text report, and in
// Slack it leads with its headline, escaped.
func TestTraceRendering(t *testing.T) {
	s := slowBackend()
	pod := report.PodReport{Target: "shop/api-0", AlertName: "LatencyHigh", Kind: capture.KindLatency,
		Profiles: []report.ProfileReport{{Name: "trace", Link: "http://example.test/trace.out", Trace: s}}}
	pod.Headline = report.Headline(pod)
	var podText bytes.Buffer
	if err := report.WritePod(&podText, pod); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(podText.String(), "[trace] execution trace:") {
		t.Errorf("pod text lacks the trace section:\n%s", podText.String())
	}

	blocks, _ := analysisOf(pod).blocks(0)
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	js := string(raw)
	for _, want := range []string{"*network wait 85.71% of goroutine time", "execution trace", "main.callBackend", "(*pool).get\\u0026lt;\\u0026amp;\\u0026gt;"} {
		if !strings.Contains(js, want) {
			t.Errorf("Slack blocks lack %q: %s", want, js)
		}
	}
	if strings.Contains(js, "<&>") || strings.Contains(js, `\u003c\u0026\u003e`) {
		t.Errorf("Slack blocks carry an unescaped name: %s", js)
	}
	pod.Kind = capture.KindMemory
	pod.Headline = report.Headline(pod)
	if got, _ := analysisOf(pod).blocks(0); len(got) != 1 {
		t.Errorf("without lead, %d blocks, want only the trace section", len(got))
	}
}

const mib = 1 << 20

// TestMemoryVerdictFirst: when the memory statistics explain an OOM kill,
// the reply shows the verdict right after its title, compactly.
func TestMemoryVerdictFirst(t *testing.T) {
	// 300 MiB of idle heap held over a 20 MiB heap: the runtime kept a spike.
	ms := memory.Stats{Alloc: 20 * mib, HeapAlloc: 20 * mib, HeapInuse: 22 * mib, HeapIdle: 310 * mib, HeapReleased: 10 * mib,
		HeapSys: 332 * mib, StackSys: 1 * mib, GCSys: 8 * mib, OtherSys: 3 * mib, NextGC: 40 * mib}
	ms.Sys = ms.HeapSys + ms.StackSys + ms.GCSys + ms.OtherSys
	bounds := &capture.MemoryBounds{Container: "app", Request: 256 * mib, RequestText: "256Mi", Limit: 512 * mib, LimitText: "512Mi"}
	oom := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 3, Reason: "OOMKilled", ExitCode: 137}}}
	pr := report.PodReport{Target: "shop/api-0", AlertName: "KubePodOOMKilled", Kind: "restart", MemoryBounds: bounds, Restart: oom,
		Profiles: []report.ProfileReport{{Name: "memstats", Link: "file:///memstats.txt", MemStats: &ms}}}
	pr.Memory = memory.Reconcile(ms, bounds, oom)
	pr.Headline = report.Headline(pr)
	m := pr.Memory
	if !m.Explains() || pr.Headline != m.Verdict {
		t.Fatalf("verdict %q explains %v; headline %q", m.Verdict, m.Explains(), pr.Headline)
	}
	msg := podMessage(pr, "")
	js, err := json.Marshal(msg.blocks)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.blocks) < 2 || !strings.Contains(string(js), "*memory*: OOMKilled at limit 512Mi") {
		t.Errorf("slack blocks lack the memory verdict: %s", js)
	}
	if b, _ := json.Marshal(msg.blocks[1]); !strings.Contains(string(b), "OOMKilled at limit 512Mi") {
		t.Errorf("the memory verdict is not the block after the title: %s", b)
	}
	if n := strings.Count(string(js), "OOMKilled at limit 512Mi"); n != 1 {
		t.Errorf("the verdict is shown %d times: %s", n, js)
	}
	section, _ := memorySection(m)
	for _, w := range []string{"runtime holds     " + pad(memory.FormatBytes(m.Held), 9) + " " + pad(m.ShareOfLimit(m.Held), 5) + "\n",
		"container limit       512Mi  100%\n", "_container app last terminated OOMKilled"} {
		if !strings.Contains(section, w) {
			t.Errorf("slack memory section lacks %q:\n%s", w, section)
		}
	}
	if len(section) > maxTextLen {
		t.Errorf("slack memory section is %d bytes", len(section))
	}
}

func pad(s string, n int) string { return strings.Repeat(" ", max(0, n-len(s))) + s }

// TestHeadlineAgreesWithText (bug 2): the reply's headline is the pod
// report's, the same line the text report and summary.txt lead with, for
// a memory alert's heap, second heap and goroutine dump.
func TestHeadlineAgreesWithText(t *testing.T) {
	for _, c := range []struct{ name, heap, heap2, dump string }{
		{"heap grew", "alertmanager_heap.pb.gz", "alertmanager_heap2.pb.gz", "alertmanager_goroutine.txt.gz"},
		{"heap shrank", "alertmanager_heap2.pb.gz", "alertmanager_heap.pb.gz", "culprits/leak/goroutine.txt.gz"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("..", "testdata")
			pr := report.PodReport{Target: "monitoring/alertmanager-0", AlertName: "HeapGrowing", Kind: capture.KindMemory}
			arts := []report.Artifact{
				{Name: "heap", Data: readFile(t, filepath.Join(dir, c.heap))},
				{Name: "heap-2", Data: readFile(t, filepath.Join(dir, c.heap2))},
				{Name: "goroutine", Data: gunzipFile(t, filepath.Join(dir, c.dump))},
			}
			if errs := report.Analyze(context.Background(), &pr, arts, report.Options{Top: 5}); len(errs) > 0 {
				t.Fatal(errs)
			}
			var text bytes.Buffer
			if err := report.WritePod(&text, pr); err != nil {
				t.Fatal(err)
			}
			var textHeadline string
			for line := range strings.Lines(text.String()) {
				if h, ok := strings.CutPrefix(line, "=> "); ok {
					textHeadline = strings.TrimSuffix(h, "\n")
					break
				}
			}
			texts := blockTexts(podMessage(pr, "").blocks)
			if len(texts) < 2 || textHeadline == "" || texts[1] != "*"+escapeMrkdwn(textHeadline)+"*" {
				t.Fatalf("Slack's headline block %q, text report's headline %q", texts[1], textHeadline)
			}
		})
	}
}

// TestMemoryLimitWords: the Slack table names the container limit in the
// text report's words, "unknown" or "none", instead of an empty column.
func TestMemoryLimitWords(t *testing.T) {
	ms := memory.Stats{Alloc: 20 * mib, HeapAlloc: 20 * mib, HeapInuse: 22 * mib, HeapSys: 40 * mib, NextGC: 40 * mib}
	ms.Sys = ms.HeapSys
	for _, c := range []struct {
		name   string
		bounds *capture.MemoryBounds
		want   string
	}{
		{"static target", nil, "container limit     unknown  (no pod spec to read it from)"},
		{"no limit set", &capture.MemoryBounds{Container: "app"}, "container limit        none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			section, _ := memorySection(memory.Reconcile(ms, c.bounds, nil))
			if !strings.Contains(section, c.want) {
				t.Errorf("slack memory section lacks %q:\n%s", c.want, section)
			}
			if strings.Contains(section, "limit\n") {
				t.Errorf("a share-of-limit column without a limit:\n%s", section)
			}
			var text strings.Builder
			memory.Write(&text, memory.Reconcile(ms, c.bounds, nil))
			word := strings.Fields(c.want)[2]
			if !strings.Contains(text.String(), "container limit") || !strings.Contains(text.String(), word) {
				t.Errorf("the text report does not say %q either:\n%s", word, text.String())
			}
		})
	}
}
