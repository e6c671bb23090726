package handler

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/exectrace"
)

// TestLatencyAlertLeadsWithTheTrace runs a latency alert through the whole
// job against a real Go program whose handlers wait on a slow TCP peer
// (report/testdata/gen/slowpeer): the plan fetches a CPU profile, the
// goroutine dump and an execution trace with the real fetcher, stores the
// trace as trace.out, summarizes it, and the pod's headline is the trace's,
// since the CPU is idle and network wait dominates.
func TestLatencyAlertLeadsWithTheTrace(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "slowpeer")
	if out, err := exec.Command("go", "build", "-o", bin, "../report/testdata/gen/slowpeer").CombinedOutput(); err != nil {
		t.Fatalf("build slowpeer: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-delay", "300ms")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "pprof ")
	if err != nil || !ok {
		t.Fatalf("slowpeer said %q (%v)", line, err)
	}

	settings := capture.Settings{CPUSeconds: 1, TraceSeconds: 1}
	latency, err := capture.PlanFor(capture.DefaultPlans[capture.KindLatency], settings)
	if err != nil {
		t.Fatal(err)
	}
	// slowpeer serves no block or mutex profile; keep the rest.
	var plan []capture.Profile
	for _, p := range latency {
		if p.Name != "block" && p.Name != "mutex" {
			plan = append(plan, p)
		}
	}
	fallback, err := capture.Plan([]string{"goroutines"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	store, notifier := &memStore{}, newRecNotifier()
	h, err := New(Config{Plan: fallback, Plans: map[string][]capture.Profile{capture.KindLatency: plan}}, Deps{
		Resolver: resolver,
		Capturer: capture.NewFetcher(nil, 0, 30*time.Second),
		Store:    store,
		Notifier: notifier,
		Logger:   slog.New(slog.NewTextHandler(&syncBuffer{}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})

	a := alert("firing", addr)
	a.Labels = template.KV{"alertname": "CheckoutLatencyHigh", "alertprof_kind": "latency", "instance": addr}
	if rec := (&rig{h: h}).post(t, payload(t, "latency", "firing", a), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	if ev := notifier.next(t); ev.Kind != report.Opened {
		t.Fatalf("first event %s, want opened", ev.Kind)
	}
	ev := notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Kind != capture.KindLatency {
		t.Fatalf("second event %s %+v, want a latency capture", ev.Kind, ev.Pod)
	}
	var tr *report.ProfileReport
	for i, p := range ev.Pod.Profiles {
		if p.Error != "" {
			t.Errorf("profile %s failed: %s", p.Name, p.Error)
		}
		if p.Name == "trace" {
			tr = &ev.Pod.Profiles[i]
		}
	}
	if tr == nil || tr.Trace == nil {
		t.Fatalf("no trace summary in %+v", ev.Pod.Profiles)
	}
	if !strings.HasSuffix(tr.Key, "/trace.out") || !bytes.HasPrefix(store.get(tr.Key), []byte("go 1.")) {
		t.Errorf("trace stored at %q as %q…, want trace.out holding the raw trace", tr.Key, store.get(tr.Key)[:min(16, len(store.get(tr.Key)))])
	}
	if tr.Trace.Dominant != exectrace.Network || tr.Trace.Culprit != "main.callBackend" {
		t.Errorf("trace says %q in %q, want network wait in main.callBackend", tr.Trace.Dominant, tr.Trace.Culprit)
	}
	if ev.Pod.Headline != tr.Trace.Headline {
		t.Errorf("pod headline %q, want the trace's %q", ev.Pod.Headline, tr.Trace.Headline)
	}
	waitFor(t, func() bool { return len(store.keys("summary.txt")) == 1 })
	if sum := string(store.get(store.keys("summary.txt")[0])); !strings.Contains(sum, "[trace] execution trace:") || !strings.Contains(sum, "main.callBackend [network]") {
		t.Errorf("summary.txt lacks the trace section:\n%s", sum)
	}
}
