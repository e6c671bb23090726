package handler

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// replica is one of several handlers sharing Leases and a store.
type replica struct {
	h        *Handler
	capturer *fakeCapturer
	notifier *recNotifier
	logs     *syncBuffer
}

func newReplica(t *testing.T, id string, leases *leaseTable, store *verStore, capt *fakeCapturer) *replica {
	t.Helper()
	if capt == nil {
		capt = &fakeCapturer{}
	}
	r := &replica{capturer: capt, notifier: newRecNotifier(), logs: &syncBuffer{}}
	reg := prometheus.NewRegistry()
	// An hour-long Lease: the loops never run here, the test drives them.
	r.h = startHandler(t, Config{LeaseDuration: time.Hour, SweepInterval: time.Hour}, Deps{
		Capturer: capt, Store: store, Notifier: r.notifier,
		Logger:     slog.New(slog.NewTextHandler(r.logs, nil)),
		Registerer: reg, Gatherer: reg,
		Coordinator: memLeases{t: leases, id: id}, Shared: store,
	})
	return r
}

func (r *replica) post(t *testing.T, body []byte) {
	t.Helper()
	if rec := serve(r.h, newWebhookRequest(body)); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
}

func (r *replica) lost(kind string) float64 {
	return counterValue(r.h.coordm.lost.WithLabelValues(kind))
}

// TestReplicasShareAnIncident: two replicas receive the same
// notifications; one works the incident, the other leaves it, and the
// targets are captured once.
func TestReplicasShareAnIncident(t *testing.T) {
	leases, store := newLeaseTable(), &verStore{}
	capt := &fakeCapturer{}
	a := newReplica(t, "a", leases, store, capt)
	b := newReplica(t, "b", leases, store, capt)
	fire := payload(t, "g1", "firing", alert("firing", "127.0.0.1:7001"), alert("firing", "127.0.0.1:7002"))

	a.post(t, fire)
	opened := a.notifier.next(t)
	if opened.Kind != report.Opened {
		t.Fatalf("first event %s", opened.Kind)
	}
	b.post(t, fire)
	for range 2 {
		if ev := a.notifier.next(t); ev.Kind != report.Captured || ev.Incident.ID != opened.Incident.ID {
			t.Fatalf("a: %s for %s", ev.Kind, ev.Incident.ID)
		}
	}
	waitFor(t, func() bool { return b.lost(capture.ClaimIncident) == 1 })
	b.notifier.none(t, 200*time.Millisecond)
	if capt.count("static/127.0.0.1-7001") != 1 || capt.count("static/127.0.0.1-7002") != 1 {
		t.Fatalf("captures %v", capt.calls)
	}
	if !strings.Contains(b.logs.String(), "leaving it to that one") {
		t.Fatalf("b's log:\n%s", b.logs)
	}

	// The resolve, delivered to b only (Alertmanager sends it once), is
	// handed over to a, which closes the incident at its next sweep and
	// deletes its Lease.
	resolve := payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:7001"), alert("resolved", "127.0.0.1:7002"))
	b.post(t, resolve)
	waitFor(t, func() bool { return strings.Contains(string(store.get(inboxKey("g1"))), `"status":"resolved"`) })
	a.h.sweepOnce(t.Context())
	if ev := a.notifier.next(t); ev.Kind != report.Resolved || ev.Incident.ID != opened.Incident.ID {
		t.Fatalf("a: %s for %s", ev.Kind, ev.Incident.ID)
	}
	waitFor(t, func() bool {
		leases.mu.Lock()
		defer leases.mu.Unlock()
		return leases.leases[capture.ClaimIncident+"/g1"] == nil
	})
}

// TestTakeover: the replica working on an incident dies in the middle of
// a capture. Another takes the incident over, by the next notification or
// by its sweep, continues the same incident and captures the interrupted
// target once more, and nothing else; the dead replica's late write is
// refused.
func TestTakeover(t *testing.T) {
	for _, by := range []string{"notification", "sweep"} {
		t.Run(by, func(t *testing.T) {
			leases, store := newLeaseTable(), &verStore{}
			gate := make(chan struct{})
			var closeGate sync.Once
			wake := func() { closeGate.Do(func() { close(gate) }) }
			slow := &fakeCapturer{gate: gate, busy: make(chan string, 4)}
			a := newReplica(t, "a", leases, store, slow)
			t.Cleanup(wake) // before a's shutdown, which waits for its captures
			b := newReplica(t, "b", leases, store, nil)
			done := payload(t, "g1", "firing", alert("firing", "127.0.0.1:7001"))
			a.post(t, done)
			opened := a.notifier.next(t)
			<-slow.busy
			gate <- struct{}{}
			if ev := a.notifier.next(t); ev.Kind != report.Captured {
				t.Fatalf("a: %s", ev.Kind)
			}
			// A second pod joins; a dies while capturing it.
			both := payload(t, "g1", "firing", alert("firing", "127.0.0.1:7001"), alert("firing", "127.0.0.1:7002"))
			a.post(t, both)
			if got := <-slow.busy; got != "static/127.0.0.1-7002" {
				t.Fatalf("a captures %s", got)
			}
			leases.expire("a")

			if by == "notification" {
				b.post(t, both)
			} else {
				b.h.sweepOnce(t.Context())
			}
			ev := b.notifier.next(t)
			if ev.Kind != report.Captured || ev.Incident.ID != opened.Incident.ID || ev.Pod.Target != "static/127.0.0.1-7002" {
				t.Fatalf("b: %s for %s (pod %+v), want the capture of 127.0.0.1:7002 in %s", ev.Kind, ev.Incident.ID, ev.Pod, opened.Incident.ID)
			}
			b.notifier.none(t, 200*time.Millisecond)
			if b.capturer.count("static/127.0.0.1-7001") != 0 || b.capturer.count("static/127.0.0.1-7002") != 1 {
				t.Fatalf("b's captures %v", b.capturer.calls)
			}
			if got := counterValue(b.h.coordm.takeovers); got != 1 {
				t.Fatalf("takeovers %v", got)
			}
			if !strings.Contains(b.logs.String(), "took an incident over from another replica") || !strings.Contains(b.logs.String(), "by="+by) {
				t.Fatalf("b's log:\n%s", b.logs)
			}
			// a wakes up: its late write of the record is refused, and
			// counted as lost.
			before := a.lost(capture.ClaimIncident)
			wake()
			waitFor(t, func() bool { return a.lost(capture.ClaimIncident) > before })
		})
	}
}

// TestCaptureStatusOnAnyReplica: a capture on demand started on one
// replica is answered by another from the shared store, running and done.
func TestCaptureStatusOnAnyReplica(t *testing.T) {
	leases, store := newLeaseTable(), &verStore{}
	gate := make(chan struct{})
	slow := &fakeCapturer{gate: gate, busy: make(chan string, 1)}
	a := newReplica(t, "a", leases, store, slow)
	b := newReplica(t, "b", leases, store, nil)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(`{"address":"127.0.0.1:6060","profiles":["goroutine"]}`))
	req.Header.Set("Content-Type", "application/json")
	rec := serve(a.h, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("capture request: %d %s", rec.Code, rec.Body)
	}
	var st CaptureStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	<-slow.busy
	get := func() CaptureStatus {
		rec := serve(b.h, httptestGet("/api/v1/captures/"+st.ID))
		if rec.Code != http.StatusOK {
			t.Fatalf("status on b: %d %s", rec.Code, rec.Body)
		}
		var got CaptureStatus
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := get(); got.State != StateRunning || len(got.Targets) != 1 || got.Targets[0].State != StateRunning {
		t.Fatalf("running capture seen from b: %+v", got)
	}
	close(gate)
	waitFor(t, func() bool { return get().State == StateDone })
	if got := get(); len(got.Pods) != 1 || got.Pods[0].Target != "static/127.0.0.1-6060" {
		t.Fatalf("done capture seen from b: %+v", got)
	}
}

// TestCaptureOnDemandWaitsForAnotherReplica: a capture on demand of a
// target another replica is capturing is refused (409) and names it.
func TestCaptureOnDemandWaitsForAnotherReplica(t *testing.T) {
	leases, store := newLeaseTable(), &verStore{}
	gate := make(chan struct{})
	var closeGate sync.Once
	wake := func() { closeGate.Do(func() { close(gate) }) }
	slow := &fakeCapturer{gate: gate, busy: make(chan string, 4)}
	a := newReplica(t, "a", leases, store, slow)
	b := newReplica(t, "b", leases, store, nil)
	t.Cleanup(wake)
	a.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:7001")))
	<-slow.busy
	req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(`{"address":"127.0.0.1:7001","profiles":["goroutine"]}`))
	req.Header.Set("Content-Type", "application/json")
	rec := serve(b.h, req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "replica a") {
		t.Fatalf("capture on demand on b while a captures: %d %s", rec.Code, rec.Body)
	}
	if b.capturer.total() != 0 {
		t.Fatalf("b captured %v", b.capturer.calls)
	}
	wake()
	waitFor(t, func() bool { return leases.liveTargets() == 0 })
	req = httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(`{"address":"127.0.0.1:7001","profiles":["goroutine"]}`))
	req.Header.Set("Content-Type", "application/json")
	if rec := serve(b.h, req); rec.Code != http.StatusAccepted {
		t.Fatalf("capture on demand on b once a is done: %d %s", rec.Code, rec.Body)
	}
}
