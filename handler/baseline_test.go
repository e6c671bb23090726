package handler

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
	"github.com/alertprof/alertprof/report"
)

// TestBaselineAfterResolve: an incident on a target resolves; a healthy
// baseline of the target's workload is taken the configured delay later,
// through the capture limits, and stored under baselines/; the next
// incident's pod report is compared with it and links it. A baseline does
// not count for the alert cooldown.
func TestBaselineAfterResolve(t *testing.T) {
	plan, err := capture.Plan([]string{"heap", "goroutine"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{}
	baselines := baseline.New(store, 10, nil)
	notifier := newRecNotifier()
	capt := &fakeCapturer{}
	h := startHandler(t, Config{Plan: plan, Cooldown: time.Nanosecond,
		Baseline: BaselineConfig{AfterResolve: 50 * time.Millisecond, Plan: plan}},
		Deps{Store: store, Notifier: notifier, Capturer: capt, Baselines: baselines})
	const addr = "127.0.0.1:6060"
	w := capture.Workload{Namespace: "static", Kind: capture.WorkloadInstance, Name: addr}

	send := func(group, status string) {
		t.Helper()
		if rec := serve(h, newWebhookRequest(payload(t, group, status, alert(status, addr)))); rec.Code != http.StatusAccepted {
			t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
		}
	}
	captured := func() report.PodReport {
		t.Helper()
		for {
			ev := notifier.next(t)
			if ev.Kind == report.Captured {
				return *ev.Pod
			}
		}
	}
	send("g1", "firing")
	if pr := captured(); pr.SinceHealthy != nil {
		t.Fatalf("compared with a baseline before any was taken: %+v", pr.SinceHealthy)
	}
	if _, ok := baselines.Latest(w); ok {
		t.Fatal("a baseline was taken while the incident fired")
	}
	send("g1", "resolved")
	deadline := time.Now().Add(10 * time.Second)
	var e baseline.Entry
	for ok := false; !ok; e, ok = baselines.Latest(w) {
		if time.Now().After(deadline) {
			t.Fatal("no healthy baseline within 10s of the resolve")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if e.Target != "static/127.0.0.1-6060" || !strings.HasPrefix(e.Reason, "after incident ") || len(e.Artifacts) != 2 {
		t.Fatalf("baseline = %+v", e)
	}
	heap, _ := e.Artifact("heap")
	if !strings.HasPrefix(heap.Key, "baselines/static/instance/127.0.0.1_6060/") || store.get(heap.Key) == nil || store.get(baseline.IndexKey) == nil {
		t.Fatalf("baseline heap stored as %q; index: %d bytes", heap.Key, len(store.get(baseline.IndexKey)))
	}
	if n := capt.count("static/127.0.0.1-6060"); n != 2 {
		t.Fatalf("%d captures of the target, want the incident's and the baseline's", n)
	}

	send("g2", "firing")
	pr := captured()
	s := pr.SinceHealthy
	if s == nil || !s.TakenAt.Equal(e.TakenAt) || len(s.Comparisons) != 2 {
		t.Fatalf("since healthy = %+v", s)
	}
	for _, c := range s.Comparisons {
		if c.Error != "" || c.Summary == nil || !strings.HasPrefix(c.BaseLink, "mem://baselines/") {
			t.Errorf("comparison %+v", c)
		}
	}
}

// TestBaselineWaitsItsTurn: a baseline is a capture like any other: it is
// not taken while another capture holds the process, and it waits for a
// capture slot.
func TestBaselineWaitsItsTurn(t *testing.T) {
	plan, err := capture.Plan([]string{"heap"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{}
	capt := &fakeCapturer{}
	h := startHandler(t, Config{Plan: plan, MaxConcurrentCaptures: 1, Baseline: BaselineConfig{AfterResolve: time.Hour, Plan: plan}},
		Deps{Store: store, Capturer: capt, Baselines: baseline.New(store, 10, nil)})
	w := capture.Workload{Namespace: "static", Kind: capture.WorkloadInstance, Name: "127.0.0.1:6060"}
	d := baseline.Due{Workload: w, Reason: "test"}
	log := h.log

	if _, _, ok := h.book.claimAll([]string{"static/127.0.0.1-6060"}, "incident X"); !ok {
		t.Fatal("claim")
	}
	if err := h.captureBaseline(context.Background(), log, d); err == nil || !strings.Contains(err.Error(), "being captured by incident X") {
		t.Fatalf("baseline of a process being captured: %v", err)
	}
	h.book.release("static/127.0.0.1-6060", "incident X")

	slot, err := h.limiter.acquire(context.Background(), log) // the only capture slot
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.captureBaseline(ctx, log, d); err == nil || capt.total() != 0 {
		t.Fatalf("baseline taken without a capture slot: %v, %d captures", err, capt.total())
	}
	slot()
	if err := h.captureBaseline(context.Background(), log, d); err != nil || capt.total() != 1 {
		t.Fatalf("baseline with a free slot: %v, %d captures", err, capt.total())
	}
}

func TestBaselineTick(t *testing.T) {
	for _, tc := range []struct {
		cfg  BaselineConfig
		want time.Duration
	}{
		{BaselineConfig{AfterResolve: 10 * time.Minute}, 30 * time.Second},
		{BaselineConfig{AfterResolve: 2 * time.Minute}, 12 * time.Second},
		{BaselineConfig{AfterResolve: time.Second}, 100 * time.Millisecond},
		{BaselineConfig{AfterResolve: time.Hour, Interval: 10 * time.Minute}, 30 * time.Second},
		{BaselineConfig{Interval: 6 * time.Hour}, 30 * time.Second},
		{BaselineConfig{AfterResolve: 100 * time.Millisecond}, 100 * time.Millisecond},
	} {
		if got := tc.cfg.tick(); got != tc.want {
			t.Errorf("tick of %+v = %s, want %s", tc.cfg, got, tc.want)
		}
	}
}
