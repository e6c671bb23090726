package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/pprof"
)

// BeforeKill is the evidence of an instance that the kernel killed for
// its memory: the latest capture of its pod, or of another pod of its
// workload, taken before the kill. The restart's own capture sees only the
// new instance; this is what the one that died held.
type BeforeKill struct {
	// Incident and AlertName name the incident that made the capture.
	Incident  string `json:"incident"`
	AlertName string `json:"alertname,omitempty"`
	// Pod is the captured pod as its report names it; SamePod says it is
	// the killed pod itself, not another pod of Workload.
	Pod      string `json:"pod"`
	SamePod  bool   `json:"same_pod"`
	Workload string `json:"workload,omitempty"`
	// Container is the container that was killed, KilledAt when
	// (lastState.terminated.finishedAt), CapturedAt when the earlier
	// capture began.
	Container  string    `json:"container,omitempty"`
	KilledAt   time.Time `json:"killed_at"`
	CapturedAt time.Time `json:"captured_at"`
	// Heap is the in-use heap headline of the capture's first heap
	// snapshot ("inuse heap 410MB, 92% allocated by …"); else Headline,
	// the earlier report's headline, leads.
	Heap     string `json:"heap,omitempty"`
	Headline string `json:"headline,omitempty"`
	// HeapKey is the stored key of the capture's latest heap snapshot,
	// the one compared with the new instance's heap.
	HeapKey string `json:"heap_key,omitempty"`
	// RecordKey and RecordLink locate the incident.json that holds the
	// capture; SummaryLink its pod's summary.txt; Profiles its artifacts.
	RecordKey   string          `json:"record_key,omitempty"`
	RecordLink  string          `json:"record_link,omitempty"`
	SummaryLink string          `json:"summary_link,omitempty"`
	Profiles    []ProfileReport `json:"profiles,omitempty"`
	// Growth is what the killed instance's heap held beyond the new
	// instance's: `go tool pprof -base <new heap> <killed heap>`; nil
	// when either heap is missing. GrowthError says why it is missing
	// when both were there.
	Growth      *pprof.Summary `json:"growth,omitempty"`
	GrowthError string         `json:"growth_error,omitempty"`
	// Lead is the sentence the report leads with (see Lead).
	Lead string `json:"lead"`
}

// OOMKilled is the container of r whose last termination was an OOM kill
// with a known time, the latest such when several were; false when none.
func OOMKilled(r *capture.Restart) (capture.ContainerRestart, bool) {
	var out capture.ContainerRestart
	found := false
	if r == nil {
		return out, false
	}
	for _, c := range r.Containers {
		if c.Reason == "OOMKilled" && !c.FinishedAt.IsZero() && (!found || c.FinishedAt.After(out.FinishedAt)) {
			out, found = c, true
		}
	}
	return out, found
}

// BeforeKillOf is what earlier, a pod report of incident inc, tells about
// the container killed: its heap headline, its links, and the lead
// sentence. samePod says earlier is of the killed pod itself.
func BeforeKillOf(earlier PodReport, inc Incident, killed capture.ContainerRestart, samePod bool, workload string) *BeforeKill {
	bk := &BeforeKill{
		Incident: inc.ID, AlertName: cmp.Or(earlier.AlertName, inc.AlertName),
		Pod: earlier.PodName(), SamePod: samePod, Workload: workload,
		Container: killed.Container, KilledAt: killed.FinishedAt, CapturedAt: earlier.CapturedAt,
		Headline: earlier.Headline,
	}
	for _, p := range earlier.Profiles {
		if p.Key != "" {
			bk.Profiles = append(bk.Profiles, ProfileReport{Name: p.Name, Key: p.Key, Link: p.Link, UILink: p.UILink, Pending: p.Pending})
		}
		s := p.Summary
		if bk.Heap == "" && s != nil && !s.Diff && s.Kind == pprof.KindHeap && s.SampleType == "inuse_space" && s.Headline != nil {
			bk.Heap = s.Headline.Text
		}
		if p.Key != "" && p.Error == "" && (p.Name == firstHeap && bk.HeapKey == "" || p.Name == secondHeap) {
			bk.HeapKey = p.Key
		}
	}
	bk.Lead = bk.lead()
	return bk
}

// lead is "14 min before the kill: inuse heap 410MB, 92.10% allocated by
// main.cache.add (incident 20260101-…)", naming the pod when it is another
// pod of the workload.
func (bk *BeforeKill) lead() string {
	s := Ago(bk.KilledAt.Sub(bk.CapturedAt)) + " before the kill"
	if !bk.SamePod {
		s += fmt.Sprintf(" (pod %s of %s)", bk.Pod, cmp.Or(bk.Workload, "the same workload"))
	}
	what := cmp.Or(bk.Heap, bk.Headline)
	if what == "" {
		what = "captured by alert " + cmp.Or(bk.AlertName, "?")
	}
	return fmt.Sprintf("%s: %s (incident %s)", s, what, bk.Incident)
}

// Ago words a duration as people say it before an event: "40 s", "14
// min", "2 h 5 min".
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// CompareKilled sets bk.Growth to what the killed instance's heap held
// beyond the new instance's, as `go tool pprof -base fresh killed`
// computes it, streamed from both profiles' bytes. The diff is admitted by
// opts.Budget as a whole and runs inside opts.Gate; when it cannot be
// made, GrowthError says why and the error is returned.
func CompareKilled(ctx context.Context, bk *BeforeKill, killed, fresh []byte, opts Options) error {
	release, err := admitGrowth(ctx, nil, nil, fresh, killed, opts)
	if err != nil {
		bk.GrowthError = "killed and new heaps not compared: " + err.Error()
		return fmt.Errorf("compare the killed heap: %w", err)
	}
	defer release()
	gate := opts.Gate
	if gate == nil {
		gate = func(f func()) { f() }
	}
	var diff pprof.Summary
	gate(func() {
		diff, err = pprof.DiffData(fresh, killed, opts.maxDecoded(), pprof.Options{Top: opts.Top, SampleIndex: opts.SampleIndex})
	})
	if err != nil {
		bk.GrowthError = "killed and new heaps not compared: " + err.Error()
		return fmt.Errorf("compare the killed heap: %w", err)
	}
	bk.Growth = &diff
	return nil
}

// GrowthLine is the comparison in words: "the killed instance held inuse
// heap +300MB beyond the new one, 95% allocated by …"; "" without one.
func (bk *BeforeKill) GrowthLine() string {
	if bk == nil || bk.Growth == nil || bk.Growth.Headline == nil {
		return ""
	}
	return "killed instance against the new one: " + bk.Growth.Headline.Text
}

// writeBeforeKill writes the lead of a report with a capture from before
// the kill: its sentence, the comparison with the new instance, and the
// links to the earlier capture.
func writeBeforeKill(w io.Writer, bk *BeforeKill) {
	if bk == nil {
		return
	}
	fmt.Fprintf(w, "=> %s\n", bk.Lead)
	if g := bk.GrowthLine(); g != "" {
		fmt.Fprintf(w, "   %s\n", g)
	}
	if bk.GrowthError != "" {
		fmt.Fprintf(w, "   %s\n", bk.GrowthError)
	}
	if bk.RecordLink != "" {
		fmt.Fprintf(w, "   %-10s %s\n", "record", bk.RecordLink)
	}
	if bk.SummaryLink != "" {
		fmt.Fprintf(w, "   %-10s %s\n", "summary", bk.SummaryLink)
	}
	for _, p := range bk.Profiles {
		if p.Link != "" {
			fmt.Fprintf(w, "   %-10s %s\n", p.Name, p.Link)
		}
	}
}

// writeKilledGrowth writes the table of what the killed instance's heap
// held beyond the new instance's.
func writeKilledGrowth(w io.Writer, bk *BeforeKill) error {
	if bk == nil || bk.Growth == nil {
		return nil
	}
	fmt.Fprintf(w, "\n[killed instance against the new one: go tool pprof -base <new heap> <killed heap>] ")
	return pprof.WriteSummary(w, *bk.Growth)
}
