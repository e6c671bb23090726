package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// replyNotifier is a replier: it hands every event to the test and
// numbers the pod replies it posts. When hold is set, each Reply waits
// for a value on it.
type replyNotifier struct {
	events chan report.Event
	hold   chan struct{}
	mu     sync.Mutex
	posted int
}

func newReplyNotifier() *replyNotifier { return &replyNotifier{events: make(chan report.Event, 100)} }

func (n *replyNotifier) Notify(ctx context.Context, ev report.Event) (report.Thread, error) {
	th, _, err := n.Reply(ctx, ev)
	return th, err
}

func (n *replyNotifier) Reply(_ context.Context, ev report.Event) (report.Thread, string, error) {
	n.events <- ev
	if n.hold != nil {
		<-n.hold
	}
	th := report.Thread{Channel: "C1", TS: "parent"}
	if ev.Pod == nil || ev.Pod.Reply != "" {
		reply := ""
		if ev.Pod != nil {
			reply = ev.Pod.Reply
		}
		return th, reply, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.posted++
	return th, fmt.Sprintf("reply-%d", n.posted), nil
}

func (n *replyNotifier) next(t *testing.T) report.Event {
	t.Helper()
	select {
	case ev := <-n.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return report.Event{}
	}
}

// windowGate is a capturer whose windowed profiles (any with a window or
// a delay in the plan) wait for a value on gate; instant ones answer at
// once with a heap profile.
type windowGate struct {
	fakeCapturer
	gate chan struct{}
}

func (w *windowGate) Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	if len(plan) == 1 && (plan[0].Name == "heap-2" || plan[0].Seconds > 0) {
		select {
		case <-w.gate:
		case <-ctx.Done():
		}
	}
	return w.fakeCapturer.Capture(ctx, t, plan)
}

// TestEarlyReportThenFinal: a memory plan's pod is reported once its
// instant profiles land, with a headline and what is still being
// captured, in its reply, summary.txt and incident.json (with the reply's
// ID); the final report, once the growth window's snapshot lands, edits
// that same reply and replaces the early report everywhere.
func TestEarlyReportThenFinal(t *testing.T) {
	plan, err := capture.PlanFor([]string{"heap", "goroutine", "heap-2"}, capture.Settings{HeapGrowthWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	capt := &windowGate{gate: make(chan struct{})}
	notifier, store := newReplyNotifier(), &memStore{}
	h := startHandler(t, Config{Plan: plan}, Deps{Capturer: capt, Notifier: notifier, Store: store})
	if rec := serve(h, newWebhookRequest(payload(t, "g-early", "firing", alert("firing", "127.0.0.1:6060")))); rec.Code != 202 {
		t.Fatalf("status %d", rec.Code)
	}
	if ev := notifier.next(t); ev.Kind != report.Opened {
		t.Fatalf("first event %s, want opened", ev.Kind)
	}
	ev := notifier.next(t)
	if ev.Kind != report.Progress || ev.Pod == nil || ev.Pod.Reply != "" {
		t.Fatalf("second event %s %+v, want the early report, not posted yet", ev.Kind, ev.Pod)
	}
	early := *ev.Pod
	if early.Headline == "" || early.StillCapturing() != "still capturing: heap growth (0 s)" || len(early.Profiles) != 2 {
		t.Fatalf("early report: headline %q, %q, %d profiles", early.Headline, early.StillCapturing(), len(early.Profiles))
	}
	// The record and summary.txt follow: the early report, with the
	// reply's ID, before the window's snapshot lands.
	var rec record
	waitFor(t, func() bool {
		keys := store.keys("incident.json")
		if len(keys) != 1 || json.Unmarshal(store.get(keys[0]), &rec) != nil {
			return false
		}
		return len(rec.Pods) == 1 && rec.Pods[0].Reply == "reply-1"
	})
	if !rec.Pods[0].Early() {
		t.Fatalf("the record's report is not the early one: %+v", rec.Pods[0])
	}
	summaries := store.keys("summary.txt")
	if len(summaries) != 1 || !strings.Contains(string(store.get(summaries[0])), "still capturing: heap growth") {
		t.Fatalf("summary.txt is not the early report: %v", summaries)
	}

	close(capt.gate)
	ev = notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Reply != "reply-1" || ev.Pod.Early() {
		t.Fatalf("third event %s %+v, want the final report editing reply-1", ev.Kind, ev.Pod)
	}
	if len(ev.Pod.Profiles) != 3 || ev.Pod.Profiles[2].Name != "heap-2" || ev.Pod.Profiles[2].Summary == nil || !ev.Pod.Profiles[2].Summary.Diff {
		t.Fatalf("final profiles %+v, want heap, goroutine and the growth, in plan order", ev.Pod.Profiles)
	}
	waitFor(t, func() bool {
		keys := store.keys("incident.json")
		rec = record{}
		return len(keys) == 1 && json.Unmarshal(store.get(keys[0]), &rec) == nil && len(rec.Pods) == 1 && !rec.Pods[0].Early()
	})
	if rec.Pods[0].Reply != "reply-1" {
		t.Fatalf("the final record lost the reply: %+v", rec.Pods[0])
	}
	if s := string(store.get(summaries[0])); strings.Contains(s, "still capturing") {
		t.Fatalf("summary.txt is still the early report:\n%s", s)
	}
	if notifier.posted != 1 {
		t.Fatalf("%d replies posted, want 1", notifier.posted)
	}
}

// TestEarlyReportsCoalesce: while the notifier is busy with a pod's early
// report, newer ones replace each other, so that only the latest goes
// out; the final one always does, last.
func TestEarlyReportsCoalesce(t *testing.T) {
	notifier := newReplyNotifier()
	notifier.hold = make(chan struct{})
	h := startHandler(t, Config{}, Deps{Notifier: notifier})
	out := h.newReplies(context.Background(), h.log, fanOut{job: job{incident: report.Incident{ID: "i1"}}, notify: true})
	pod := func(headline string, early bool) report.PodReport {
		pr := report.PodReport{Target: "static/a", Headline: headline}
		if early {
			pr.Capturing = []report.Window{{Name: "cpu", Seconds: 10}}
		}
		return pr
	}
	out.early(pod("A", true))
	if ev := notifier.next(t); ev.Pod.Headline != "A" { // held in Reply
		t.Fatalf("first delivered %q", ev.Pod.Headline)
	}
	out.early(pod("B", true))
	out.early(pod("C", true))
	notifier.hold <- struct{}{}
	if ev := notifier.next(t); ev.Kind != report.Progress || ev.Pod.Headline != "C" || ev.Pod.Reply != "reply-1" {
		t.Fatalf("second delivered %s %q reply %q, want the latest early report, C, editing reply-1", ev.Kind, ev.Pod.Headline, ev.Pod.Reply)
	}
	done := make(chan struct{})
	go func() { out.final(pod("F", false)); close(done) }()
	notifier.hold <- struct{}{} // C's Reply returns
	if ev := notifier.next(t); ev.Kind != report.Captured || ev.Pod.Headline != "F" || ev.Pod.Reply != "reply-1" {
		t.Fatalf("last delivered %s %q reply %q, want the final F editing reply-1", ev.Kind, ev.Pod.Headline, ev.Pod.Reply)
	}
	notifier.hold <- struct{}{}
	<-done
	if notifier.posted != 1 {
		t.Fatalf("%d replies posted, want 1", notifier.posted)
	}
}

// TestPhases: instant profiles first, then the windows that start at once,
// then the delayed snapshots by their delay; plan indexes kept.
func TestPhases(t *testing.T) {
	plan, err := capture.PlanFor([]string{"cpu", "heap", "heap-2", "goroutines", "trace"}, capture.Settings{CPUSeconds: 10, HeapGrowthWindow: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ph := range phases(plan) {
		var names []string
		for k, p := range ph.profiles {
			names = append(names, fmt.Sprintf("%s@%d", p.Name, ph.at[k]))
			if p.Delay != 0 {
				t.Fatalf("%s keeps its delay: the phase waits for it", p.Name)
			}
		}
		got = append(got, fmt.Sprintf("%v+%s:%s", ph.instant, ph.after, strings.Join(names, ",")))
	}
	want := []string{"true+0s:heap@1,goroutines@3", "false+0s:cpu@0,trace@4", "false+30s:heap-2@2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("phases %v, want %v", got, want)
	}
	if w := windowOf(plan[2]); w.Label() != "heap growth" || w.Seconds != 30 {
		t.Fatalf("heap-2's window %+v", w)
	}
}

// TestDeltaPhaseHoldsNoSlot: the memory plan's allocations over a window
// only wait on the target, so their phase takes no capture slot; with a
// CPU profile beside them it does.
func TestDeltaPhaseHoldsNoSlot(t *testing.T) {
	for _, c := range []struct {
		plan  []string
		waits bool
	}{
		{[]string{"heap", "heap-2", "allocs", "goroutines", "memstats"}, true},
		{[]string{"heap", "allocs", "block", "mutex"}, true},
		{[]string{"heap", "allocs", "cpu"}, false},
	} {
		plan, err := capture.PlanFor(c.plan, capture.Settings{CPUSeconds: 10, DeltaSeconds: capture.DeltaCPU, HeapGrowthWindow: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		var windowed []phase
		for _, ph := range phases(plan) {
			if !ph.instant && ph.after == 0 {
				windowed = append(windowed, ph)
			}
		}
		if len(windowed) != 1 || windowed[0].waits != c.waits {
			t.Errorf("%v: windowed phases %+v, want one that waits=%v", c.plan, windowed, c.waits)
		}
	}
}

// orderCapturer records the order of its captures (target and first
// profile) and holds the first one until release is closed.
type orderCapturer struct {
	fakeCapturer
	release chan struct{}
	mu      sync.Mutex
	order   []string
}

func (o *orderCapturer) Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	o.mu.Lock()
	first := len(o.order) == 0
	o.order = append(o.order, t.Address+" "+plan[0].Name)
	o.mu.Unlock()
	if first {
		<-o.release
	}
	return o.fakeCapturer.Capture(ctx, t, plan)
}

// TestInstantPhasesComeFirst: with one capture slot, a pod whose growth
// window is due queues behind the instant profiles of the pods already
// waiting: every pod's first evidence comes before any pod's window.
func TestInstantPhasesComeFirst(t *testing.T) {
	plan, err := capture.PlanFor([]string{"heap", "heap-2"}, capture.Settings{HeapGrowthWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	capt := &orderCapturer{release: make(chan struct{})}
	h := startHandler(t, Config{Plan: plan, MaxConcurrentCaptures: 1}, Deps{Capturer: capt, Notifier: newReplyNotifier()})
	var alerts []template.Alert
	for _, port := range []string{"6060", "6061", "6062"} {
		a := alert("firing", "127.0.0.1:"+port)
		a.Fingerprint = "f" + port
		alerts = append(alerts, a)
	}
	if rec := serve(h, newWebhookRequest(payload(t, "g-order", "firing", alerts...))); rec.Code != 202 {
		t.Fatalf("status %d", rec.Code)
	}
	// The first pod's instant capture holds the one slot until the other
	// two wait for it.
	waitFor(t, func() bool { return counterValue(h.metrics.deferred.WithLabelValues(limitConcurrency)) >= 2 })
	close(capt.release)
	waitFor(t, func() bool { capt.mu.Lock(); defer capt.mu.Unlock(); return len(capt.order) == 6 })
	capt.mu.Lock()
	defer capt.mu.Unlock()
	for i, c := range capt.order {
		if instant := !strings.HasSuffix(c, "heap-2"); instant != (i < 3) {
			t.Fatalf("captures in the order %v: want the three pods' instant profiles first", capt.order)
		}
	}
}
