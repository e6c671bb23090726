package handler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// threadNotifier opens a thread (a "parent") whenever it is given an event
// without one, like the Slack notifier, and records every event.
type threadNotifier struct {
	mu      sync.Mutex
	parents int
	events  []report.Event
}

func (n *threadNotifier) Notify(_ context.Context, ev report.Event) (report.Thread, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	th := ev.Incident.Thread
	if th.IsZero() {
		n.parents++
		th = report.Thread{Channel: "C1", TS: fmt.Sprintf("1700000000.%06d", n.parents)}
	}
	ev.Incident.Thread = th
	n.events = append(n.events, ev)
	return th, nil
}

func (n *threadNotifier) snapshot() (int, []report.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.parents, append([]report.Event(nil), n.events...)
}

func (n *threadNotifier) waitEvents(t *testing.T, count int) []report.Event {
	t.Helper()
	var evs []report.Event
	waitFor(t, func() bool { _, evs = n.snapshot(); return len(evs) >= count })
	return evs
}

// newThreadHandler starts a handler on store, as one process would.
func newThreadHandler(t *testing.T, store *memStore, n *threadNotifier, capt *fakeCapturer, workers int) *Handler {
	t.Helper()
	plan, _ := capture.Plan([]string{"heap"}, 1)
	resolver, _ := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	h, err := New(Config{Plan: plan, Workers: workers}, Deps{
		Resolver: resolver, Capturer: capt, Store: store, Notifier: n,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	return h
}

func stop(t *testing.T, h *Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func postTo(t *testing.T, h *Handler, body []byte) {
	t.Helper()
	r := &rig{h: h}
	if rec := r.post(t, body, nil); rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestRestartContinuesTheIncidentAndItsThread(t *testing.T) {
	store := &memStore{}
	capt := &fakeCapturer{}
	firing := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))

	n1 := &threadNotifier{}
	h1 := newThreadHandler(t, store, n1, capt, 2)
	postTo(t, h1, firing)
	first := n1.waitEvents(t, 2) // opened, captured
	stop(t, h1)

	// A new process on the same store: Alertmanager's repeat arrives, then
	// a second pod joins the group, then the group resolves.
	n2 := &threadNotifier{}
	h2 := newThreadHandler(t, store, n2, capt, 2)
	defer stop(t, h2)
	postTo(t, h2, firing)
	postTo(t, h2, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061")))
	n2.waitEvents(t, 1)
	postTo(t, h2, payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060"), alert("resolved", "127.0.0.1:6061")))
	evs := n2.waitEvents(t, 2)

	parents, _ := n2.snapshot()
	if parents != 0 {
		t.Fatalf("the restarted receiver opened %d new threads", parents)
	}
	want := first[0].Incident
	var captured, resolved int
	for _, ev := range evs {
		if ev.Incident.ID != want.ID || ev.Incident.Thread != first[0].Incident.Thread {
			t.Fatalf("%s event for incident %s thread %+v; want incident %s thread %+v", ev.Kind, ev.Incident.ID, ev.Incident.Thread, want.ID, first[0].Incident.Thread)
		}
		switch ev.Kind {
		case report.Opened:
			t.Fatal("the restarted receiver announced the incident again")
		case report.Captured:
			captured++
			if ev.Pod.Target != "static/127.0.0.1-6061" {
				t.Fatalf("recaptured %s inside its cooldown", ev.Pod.Target)
			}
		case report.Resolved:
			resolved++
		}
	}
	if captured != 1 || resolved != 1 {
		t.Fatalf("captured %d, resolved %d; want the new pod once and one resolve", captured, resolved)
	}
	if n := capt.count("static/127.0.0.1-6060"); n != 1 {
		t.Fatalf("the first pod was captured %d times", n)
	}
	var rec record
	waitFor(t, func() bool {
		ok, err := h2.loadJSON(context.Background(), recordKey(want), &rec)
		return ok && err == nil && rec.Incident.Status == "resolved"
	})
	if len(rec.Pods) != 2 || rec.Incident.Status != "resolved" || rec.Incident.Thread.IsZero() {
		t.Fatalf("the record lost history across the restart: %d pods, status %s, thread %+v", len(rec.Pods), rec.Incident.Status, rec.Incident.Thread)
	}
}

func TestResolveAfterRestartClosesTheStoredIncident(t *testing.T) {
	store := &memStore{}
	n1 := &threadNotifier{}
	h1 := newThreadHandler(t, store, n1, &fakeCapturer{}, 1)
	postTo(t, h1, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")))
	first := n1.waitEvents(t, 2)
	stop(t, h1)

	n2 := &threadNotifier{}
	h2 := newThreadHandler(t, store, n2, &fakeCapturer{}, 1)
	defer stop(t, h2)
	postTo(t, h2, payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060")))
	evs := n2.waitEvents(t, 1)
	if evs[0].Kind != report.Resolved || evs[0].Incident.ID != first[0].Incident.ID || evs[0].Incident.Thread != first[0].Incident.Thread {
		t.Fatalf("got %s for %s in %+v; want resolved for %s in %+v", evs[0].Kind, evs[0].Incident.ID, evs[0].Incident.Thread, first[0].Incident.ID, first[0].Incident.Thread)
	}
	// The next firing of the group is a new incident with a new thread.
	postTo(t, h2, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6062")))
	evs = n2.waitEvents(t, 3)
	if evs[1].Kind != report.Opened || evs[1].Incident.ID == first[0].Incident.ID {
		t.Fatalf("want a new incident, got %s %s", evs[1].Kind, evs[1].Incident.ID)
	}
	if parents, _ := n2.snapshot(); parents != 1 {
		t.Fatalf("%d threads opened for the new incident", parents)
	}
}

func TestConcurrentDuplicatesOpenOneThread(t *testing.T) {
	store := &memStore{}
	n := &threadNotifier{}
	capt := &fakeCapturer{}
	h := newThreadHandler(t, store, n, capt, 4)
	defer stop(t, h)
	body := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061"), alert("firing", "127.0.0.1:6062"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { postTo(t, h, body) })
	}
	wg.Wait()
	evs := n.waitEvents(t, 4) // opened + three pods
	waitFor(t, func() bool { return h.pool.depth() == 0 })
	time.Sleep(100 * time.Millisecond)
	parents, evs := n.snapshot()
	if parents != 1 {
		t.Fatalf("%d parents for one incident", parents)
	}
	if len(evs) != 4 {
		t.Fatalf("%d events, want opened and three captures", len(evs))
	}
	for _, ev := range evs {
		if ev.Incident.Thread.TS != "1700000000.000001" {
			t.Fatalf("%s event outside the thread: %+v", ev.Kind, ev.Incident.Thread)
		}
	}
	for _, p := range []string{"6060", "6061", "6062"} {
		if c := capt.count("static/127.0.0.1-" + p); c != 1 {
			t.Fatalf("pod %s captured %d times", p, c)
		}
	}
}

// downNotifier is Slack that stays down.
type downNotifier struct{}

func (downNotifier) Notify(context.Context, report.Event) (report.Thread, error) {
	return report.Thread{}, fmt.Errorf("slack server error: 503 Service Unavailable")
}

func TestReportIsKeptWhenTheNotifierStaysDown(t *testing.T) {
	store := &memStore{}
	plan, _ := capture.Plan([]string{"heap"}, 1)
	resolver, _ := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	h, err := New(Config{Plan: plan}, Deps{Resolver: resolver, Capturer: &fakeCapturer{}, Store: store, Notifier: downNotifier{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	defer stop(t, h)
	postTo(t, h, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")))
	var rec record
	waitFor(t, func() bool {
		keys := store.keys("incident.json")
		if len(keys) != 1 {
			return false
		}
		ok, err := h.loadJSON(context.Background(), keys[0], &rec)
		return ok && err == nil && len(rec.Pods) == 1 && len(rec.Undelivered) == 2
	})
	if rec.Pods[0].Target != "static/127.0.0.1-6060" || len(rec.Pods[0].Profiles) != 1 || rec.Pods[0].Profiles[0].Summary == nil {
		t.Fatalf("the report is not in the record: %+v", rec.Pods[0])
	}
	for _, u := range rec.Undelivered {
		if !strings.Contains(u, "503") {
			t.Fatalf("undelivered entry %q does not say why", u)
		}
	}
}

// TestCrashMidCaptureKeepsTheThread: the process dies after it opened the
// incident's thread but before its capture ends (the first receiver is
// left hanging, as a killed one would). The next process continues the
// same incident in the same thread instead of opening a second one.
func TestCrashMidCaptureKeepsTheThread(t *testing.T) {
	store := &memStore{}
	firing := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))

	stuck := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
	n1 := &threadNotifier{}
	h1 := newThreadHandler(t, store, n1, stuck, 1)
	defer func() { close(stuck.gate); stop(t, h1) }()
	postTo(t, h1, firing)
	<-stuck.busy // the thread is open; the capture never ends
	first := n1.waitEvents(t, 1)
	if first[0].Kind != report.Opened {
		t.Fatalf("first event %s, want opened", first[0].Kind)
	}

	n2 := &threadNotifier{}
	h2 := newThreadHandler(t, store, n2, &fakeCapturer{}, 1)
	defer stop(t, h2)
	postTo(t, h2, firing)
	evs := n2.waitEvents(t, 1)
	if parents, _ := n2.snapshot(); parents != 0 {
		t.Fatalf("the next process opened %d new threads", parents)
	}
	if evs[0].Kind != report.Captured || evs[0].Incident.ID != first[0].Incident.ID || evs[0].Incident.Thread != first[0].Incident.Thread {
		t.Fatalf("got %s for %s in %+v; want the capture for %s in %+v", evs[0].Kind, evs[0].Incident.ID, evs[0].Incident.Thread, first[0].Incident.ID, first[0].Incident.Thread)
	}
}
