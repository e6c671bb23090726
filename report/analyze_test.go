package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// memoryPod analyses a memory alert's heap, second heap and goroutine
// dump.
func memoryPod(t *testing.T, heap, heap2 string) PodReport {
	t.Helper()
	pr := PodReport{Target: "monitoring/alertmanager-0", AlertName: "HeapGrowing", Kind: capture.KindMemory,
		Profiles: []ProfileReport{{Name: "heap"}, {Name: "heap-2"}, {Name: "goroutine"}}}
	arts := []Artifact{
		{Name: "heap", Data: readFixture(t, heap)},
		{Name: "heap-2", Data: readFixture(t, heap2)},
		{Name: "goroutine", Data: readFixture(t, "alertmanager_goroutine.txt.gz")},
	}
	if errs := Analyze(context.Background(), &pr, arts, Options{Top: 5}); len(errs) > 0 {
		t.Fatal(errs)
	}
	return pr
}

// TestAnalyzeMemoryPod: the second heap snapshot becomes the growth since
// the first, which heads the pod when the heap grew.
func TestAnalyzeMemoryPod(t *testing.T) {
	pr := memoryPod(t, "alertmanager_heap.pb.gz", "alertmanager_heap2.pb.gz")
	heap, growth, dump := pr.Profiles[0], pr.Profiles[1], pr.Profiles[2]
	if heap.Summary == nil || heap.Summary.SampleType != "inuse_space" || len(heap.Views) != 2 {
		t.Fatalf("heap: %+v, %d views; want inuse_space and two more views", heap.Summary, len(heap.Views))
	}
	if growth.Summary == nil || !growth.Summary.Diff || growth.Views != nil {
		t.Fatalf("heap-2 is not the growth: %+v", growth.Summary)
	}
	if dump.Goroutines == nil {
		t.Fatal("goroutine dump not grouped")
	}
	if !strings.HasPrefix(pr.Headline, "inuse heap grew +") || pr.Headline != growth.Summary.Headline.Text {
		t.Errorf("headline %q, want the growth's %q", pr.Headline, growth.Summary.Headline.Text)
	}
}

// TestHeadlineHeapShrank (bug 4): when the heap shrinks between the
// snapshots the growth says it shrank and does not lead the pod, whose
// headline is then the first snapshot's.
func TestHeadlineHeapShrank(t *testing.T) {
	pr := memoryPod(t, "alertmanager_heap2.pb.gz", "alertmanager_heap.pb.gz")
	heap, shrink := pr.Profiles[0], pr.Profiles[1]
	if h := shrink.Summary.Headline; h == nil || h.Net >= 0 || !strings.HasPrefix(h.Text, "inuse heap shrank ") || strings.Contains(h.Text, "-") {
		t.Errorf("growth headline %+v, want it to say the heap shrank", h)
	}
	if strings.Contains(pr.Headline, "grew") || pr.Headline != heap.Summary.Headline.Text {
		t.Errorf("pod headline %q, want the first snapshot's %q", pr.Headline, heap.Summary.Headline.Text)
	}
}

// TestAnalyzeFailures: an artifact that is none of the formats fails alone,
// saying why in its profile and in the errors; the gate runs every piece.
func TestAnalyzeFailures(t *testing.T) {
	pr := PodReport{Profiles: []ProfileReport{{Name: "heap"}, {Name: "cpu", Error: "captured but not stored: disk full"}, {Name: "goroutine"}}}
	gated := 0
	errs := Analyze(context.Background(), &pr, []Artifact{
		{Name: "heap", Data: readFixture(t, "heap.pb.gz")},
		{Name: "cpu", Format: format.Profile, Data: []byte("<html>nope</html>")},
		{Name: "goroutine", Data: []byte("hello")},
	}, Options{Gate: func(f func()) { gated++; f() }})
	if gated != 3 {
		t.Errorf("the gate ran %d pieces of work, want 3", gated)
	}
	if len(errs) != 2 {
		t.Fatalf("errors %v, want two", errs)
	}
	var pe *ProfileError
	if !errors.As(errs[1], &pe) || pe.Profile != "goroutine" || !errors.Is(errs[1], errUnknownFormat) {
		t.Errorf("second error %v", errs[1])
	}
	if pr.Profiles[1].Error != "captured but not stored: disk full" {
		t.Errorf("a fetch or store error was replaced: %q", pr.Profiles[1].Error)
	}
	if !strings.HasPrefix(pr.Profiles[2].Error, "captured but not summarized: ") {
		t.Errorf("goroutine error %q", pr.Profiles[2].Error)
	}
	if pr.Profiles[0].Summary == nil || pr.Headline != pr.Profiles[0].Summary.Headline.Text {
		t.Errorf("the heap was not analysed alongside: %+v, headline %q", pr.Profiles[0].Summary, pr.Headline)
	}
}
