package handler

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/report"
)

// TestLateCaptureAfterResolveStaysInTheThread: the group resolves while
// its firing job is still capturing (a CPU window is open). The late pod
// report goes to the incident's one thread, not a second parent, and it
// is in incident.json next to the resolve.
func TestLateCaptureAfterResolveStaysInTheThread(t *testing.T) {
	store := &memStore{}
	n := &threadNotifier{}
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
	h := newThreadHandler(t, store, n, capt, 2)
	defer stop(t, h)

	postTo(t, h, payload(t, "g-late", "firing", alert("firing", "127.0.0.1:6060")))
	<-capt.busy // the capture is under way
	postTo(t, h, payload(t, "g-late", "resolved", alert("resolved", "127.0.0.1:6060")))
	evs := n.waitEvents(t, 2)
	if evs[0].Kind != report.Opened || evs[1].Kind != report.Resolved {
		t.Fatalf("events %s, %s; want opened, then resolved while the capture runs", evs[0].Kind, evs[1].Kind)
	}
	close(capt.gate)
	evs = n.waitEvents(t, 3)
	parents, _ := n.snapshot()
	if parents != 1 {
		t.Fatalf("%d parent messages for one incident, want 1", parents)
	}
	late := evs[2]
	if late.Kind != report.Captured || late.Pod == nil || late.Pod.Target != "static/127.0.0.1-6060" {
		t.Fatalf("third event %s %+v, want the late pod report", late.Kind, late.Pod)
	}
	if late.Incident.ID != evs[0].Incident.ID || late.Incident.Thread != evs[0].Incident.Thread {
		t.Fatalf("the late report went to incident %s thread %+v, want %s thread %+v",
			late.Incident.ID, late.Incident.Thread, evs[0].Incident.ID, evs[0].Incident.Thread)
	}
	var rec record
	waitFor(t, func() bool {
		ok, err := h.loadJSON(context.Background(), recordKey(evs[0].Incident), &rec)
		return ok && err == nil && len(rec.Pods) == 1
	})
	if rec.Incident.Status != "resolved" || rec.Incident.Thread != evs[0].Incident.Thread || rec.Pods[0].Target != "static/127.0.0.1-6060" {
		t.Fatalf("incident.json: status %s, thread %+v, pods %+v", rec.Incident.Status, rec.Incident.Thread, rec.Pods)
	}
	// Forgotten once its last job ends.
	waitFor(t, func() bool { return bookSize(h) == 0 })
}

// TestAlertDoesNotOverlapACaptureInFlight: an alert for a pod that a
// capture on demand is profiling right now does not start a second
// capture of it; the thread says who holds the pod. Once that capture
// ends, the next notification captures the pod for the alert.
func TestAlertDoesNotOverlapACaptureInFlight(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 2)}
	r := newRig(t, Config{}, capt)
	st := r.accepted(t, `{"address":"127.0.0.1:6060"}`)
	<-capt.busy // the capture on demand runs

	firing := payload(t, "g-overlap", "firing", alert("firing", "127.0.0.1:6060"))
	if rec := r.post(t, firing, nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook %d", rec.Code)
	}
	if ev := r.notifier.next(t); ev.Kind != report.Opened {
		t.Fatalf("event %s, want opened", ev.Kind)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Target != "static/127.0.0.1-6060" ||
		!strings.Contains(ev.Pod.Problem, "being captured") || !strings.Contains(ev.Pod.Problem, st.ID) {
		t.Fatalf("event %s %+v, want a line saying capture %s holds the pod", ev.Kind, ev.Pod, st.ID)
	}
	if n := capt.count("static/127.0.0.1-6060"); n != 1 {
		t.Fatalf("%d captures of the pod started, want only the one on demand", n)
	}
	close(capt.gate)
	r.waitDone(t, st.ID)

	if rec := r.post(t, firing, nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook %d", rec.Code)
	}
	ev = r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Problem != "" {
		t.Fatalf("event %s %+v, want the alert's own capture once the pod is free", ev.Kind, ev.Pod)
	}
	if n := capt.count("static/127.0.0.1-6060"); n != 2 {
		t.Fatalf("%d captures of the pod, want 2", n)
	}
}

// bookSize is the number of incidents the handler holds in memory.
func bookSize(h *Handler) int {
	h.book.mu.Lock()
	defer h.book.mu.Unlock()
	return len(h.book.entries)
}
