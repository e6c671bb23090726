package handler

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// podGolden is the text report of a memory alert's pod, shared with
// cmd/alertprof's test of `alertprof analyze`: the job and the command line
// must print the same report for the same files.
var podGolden = filepath.Join("..", "report", "testdata", "pod_memory.golden")

// fileCapturer answers every profile of the plan with the bytes of a file.
type fileCapturer map[string][]byte

func (f fileCapturer) Capture(_ context.Context, _ capture.Target, plan []capture.Profile) []capture.Result {
	out := make([]capture.Result, len(plan))
	for i, p := range plan {
		out[i] = capture.Result{Profile: p, Data: f[p.Name], Duration: time.Millisecond}
	}
	return out
}

// memoryFiles are a memory plan's artifacts, as a capture stores them.
func memoryFiles(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join("..", "report", "testdata")
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(read("alertmanager_goroutine.txt.gz")))
	if err != nil {
		t.Fatal(err)
	}
	dump, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"heap": read("alertmanager_heap.pb.gz"), "heap-2": read("alertmanager_heap2.pb.gz"), "goroutines": dump}
}

// podText is a pod's text report without what names where it came from:
// the title line and the links.
func podText(text string) string {
	text = regexp.MustCompile(`(?m)^--- .* ---$`).ReplaceAllString(text, "--- pod ---")
	return regexp.MustCompile(`(?m)^(  \S+ +)\S+$`).ReplaceAllString(text, "${1}<link>")
}

// TestJobReportMatchesAnalyze: an alert's job reports the same text for a
// memory plan's artifacts as `alertprof analyze` does for the files (see
// cmd/alertprof TestAnalyzeMatchesTheJob, which compares with the same
// golden file).
func TestJobReportMatchesAnalyze(t *testing.T) {
	// The job waits out the growth window itself; the files need none.
	plan, err := capture.PlanFor([]string{"heap", "heap-2", "goroutines"}, capture.Settings{CPUSeconds: 1, HeapGrowthWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	notifier := newRecNotifier()
	h := startHandler(t, Config{Plan: plan}, Deps{Capturer: fileCapturer(memoryFiles(t)), Notifier: notifier})
	a := alert("firing", "127.0.0.1:6060")
	a.Labels["alertprof_kind"] = capture.KindMemory
	if rec := serve(h, newWebhookRequest(payload(t, "g-parity", "firing", a))); rec.Code != 202 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var pod *report.PodReport
	for pod == nil {
		if ev := notifier.next(t); ev.Kind == report.Captured {
			pod = ev.Pod
		}
	}
	// The flame graph is the job's own artifact, stored beside the
	// profiles: analyze reads files and stores nothing.
	pod.Flame = nil
	var text bytes.Buffer
	if err := report.WritePod(&text, *pod); err != nil {
		t.Fatal(err)
	}
	got := []byte(podText(text.String()))
	if *update {
		if err := os.WriteFile(podGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(podGolden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the job's report differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", podGolden, got, want)
	}
}
