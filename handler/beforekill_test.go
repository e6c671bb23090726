package handler

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pproftest"
)

const mib = 1 << 20

// killScene is a Deployment's pods as a kubelet would show them: which
// one's container was OOM-killed and when, which heap each serves, and
// the time.
type killScene struct {
	mu      sync.Mutex
	now     time.Time
	killed  map[string]time.Time // pod -> finishedAt of its OOM kill
	heaps   map[string][]byte    // pod -> the heap it serves now
	noHeaps bool
}

func (s *killScene) Now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }

func (s *killScene) set(f func(s *killScene)) { s.mu.Lock(); defer s.mu.Unlock(); f(s) }

// Resolve names the pod of the alert, with its workload and restart
// context, as capture/kube does.
func (s *killScene) Resolve(_ context.Context, labels map[string]string) ([]capture.Target, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := capture.Target{Namespace: "shop", Pod: labels["pod"], Address: "127.0.0.1:6060", Scheme: "http", Path: "/debug/pprof", Workload: "Deployment/api"}
	if at, ok := s.killed[t.Pod]; ok {
		t.Restart = &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 1, Reason: "OOMKilled", ExitCode: 137, FinishedAt: at}}}
	}
	return []capture.Target{t}, nil
}

// Capture serves the pod's heap for every profile of the plan.
func (s *killScene) Capture(_ context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	s.mu.Lock()
	data := s.heaps[t.Pod]
	s.mu.Unlock()
	out := make([]capture.Result, len(plan))
	for i, p := range plan {
		out[i] = capture.Result{Profile: p, Data: data, Duration: time.Millisecond}
		if parsed, err := profile.ParseData(data); err == nil {
			out[i].Parsed = parsed
		}
	}
	return out
}

func killAlert(kind, pod string) template.Alert {
	name := map[string]string{capture.KindMemory: "ContainerMemoryOOMRisk", capture.KindRestart: "ContainerOOMKilled"}[kind]
	return template.Alert{
		Status:      "firing",
		Labels:      template.KV{"alertname": name, "alertprof_kind": kind, "namespace": "shop", "pod": pod},
		StartsAt:    time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC),
		Fingerprint: "fp-" + kind + "-" + pod,
	}
}

func startKillHandler(t *testing.T, s *killScene, store *memStore, window, cooldown time.Duration) (*Handler, *recNotifier) {
	t.Helper()
	plan, err := capture.Plan([]string{"heap"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := newRecNotifier()
	h := startHandler(t, Config{Workers: 2, Plans: map[string][]capture.Profile{capture.KindMemory: plan, capture.KindRestart: plan},
		BeforeKillWindow: window, Cooldown: cooldown},
		Deps{Resolver: s, Capturer: s, Store: store, Notifier: n, Now: s.Now})
	return h, n
}

// fireAndReport sends one alert in its own group and returns its pod's
// report and the incident it was made in.
func fireAndReport(t *testing.T, h *Handler, n *recNotifier, a template.Alert) (report.PodReport, report.Incident) {
	t.Helper()
	if rec := serve(h, newWebhookRequest(payload(t, "g-"+a.Fingerprint, "firing", a))); rec.Code != 202 {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	for {
		ev := n.next(t)
		if ev.Kind == report.Captured {
			return *ev.Pod, ev.Incident
		}
	}
}

func TestBeforeKill(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		capturedPod string        // the pod the memory alert captured at t0
		killedAt    time.Duration // after t0
		window      time.Duration // 0: the default (1h)
		restartFrom string        // "" reports from the book; "store" from a restarted receiver
		wantLead    string        // prefix; "" for no capture before the kill
	}{
		{"the pod's own capture", "api-1", 14 * time.Minute, 0, "", "14 min before the kill: inuse heap 410MB"},
		{"another pod of the workload", "api-2", 14 * time.Minute, 0, "", "14 min before the kill (pod shop/api-2 of Deployment/api): inuse heap 410MB"},
		{"read back from the store", "api-1", 14 * time.Minute, 0, "store", "14 min before the kill: inuse heap 410MB"},
		{"older than the window", "api-1", 2 * time.Hour, 0, "", ""},
		{"inside a longer window", "api-1", 2 * time.Hour, 3 * time.Hour, "", "2 h before the kill: inuse heap 410MB"},
		{"taken after the kill", "api-1", -time.Minute, 0, "", ""},
		{"lookup off", "api-1", 14 * time.Minute, -1, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			killed := pproftest.Heap(t, map[string]int64{"main.leak": 400 * mib, "main.cache": 10 * mib})
			fresh := pproftest.Heap(t, map[string]int64{"main.leak": 2 * mib, "main.cache": 10 * mib})
			s := &killScene{now: t0, killed: map[string]time.Time{}, heaps: map[string][]byte{"api-1": killed, "api-2": killed}}
			store := &memStore{}
			h, n := startKillHandler(t, s, store, tc.window, 0)
			mem, memInc := fireAndReport(t, h, n, killAlert(capture.KindMemory, tc.capturedPod))
			if mem.BeforeKill != nil || mem.Problem != "" {
				t.Fatalf("the memory alert's report: before kill %+v, problem %q", mem.BeforeKill, mem.Problem)
			}
			if tc.restartFrom == "store" {
				waitStored(t, store, recordKey(memInc))
				_ = h.Shutdown(context.Background())
				h, n = startKillHandler(t, s, store, tc.window, 0)
			}
			s.set(func(s *killScene) {
				s.killed["api-1"] = t0.Add(tc.killedAt)
				s.heaps["api-1"] = fresh
				s.now = t0.Add(max(tc.killedAt, 0) + 6*time.Minute)
			})
			pr, inc := fireAndReport(t, h, n, killAlert(capture.KindRestart, "api-1"))
			bk := pr.BeforeKill
			if tc.wantLead == "" {
				if bk != nil {
					t.Fatalf("lead %q, want none", bk.Lead)
				}
				return
			}
			if bk == nil {
				t.Fatalf("no capture before the kill in %+v", pr)
			}
			if !strings.HasPrefix(bk.Lead, tc.wantLead) || !strings.HasSuffix(bk.Lead, "(incident "+memInc.ID+")") {
				t.Errorf("lead %q, want %q… (incident %s)", bk.Lead, tc.wantLead, memInc.ID)
			}
			if bk.RecordLink != "mem://"+recordKey(memInc) || bk.SummaryLink != "mem://"+mem.SummaryKey || len(bk.Profiles) != 1 || bk.Profiles[0].Link != mem.Profiles[0].Link {
				t.Errorf("links: record %q, summary %q, profiles %+v; want the memory incident's", bk.RecordLink, bk.SummaryLink, bk.Profiles)
			}
			if g := bk.Growth; g == nil || g.Headline == nil || g.Headline.Net != 398*mib || g.Headline.Culprit() != "main.leak" {
				t.Errorf("killed against new heap: %+v (error %q), want +398MiB in main.leak", g, bk.GrowthError)
			}
			// summary.txt and incident.json lead with it too.
			if txt := string(store.get(pr.SummaryKey)); !strings.Contains(strings.SplitN(txt, "\n", 4)[2], tc.wantLead) {
				t.Errorf("summary.txt does not lead with the capture before the kill:\n%s", txt)
			}
			waitStored(t, store, recordKey(inc))
			var rec record
			if err := json.Unmarshal(store.get(recordKey(inc)), &rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.Pods) != 1 || rec.Pods[0].BeforeKill == nil || rec.Pods[0].BeforeKill.Lead != bk.Lead || rec.Pods[0].BeforeKill.RecordKey != recordKey(memInc) {
				t.Errorf("incident.json pods %+v, want the capture before the kill", rec.Pods)
			}
		})
	}
}

func waitStored(t *testing.T, store *memStore, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for store.get(key) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s never stored", key)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCaptureIndexBounded: an index keeps the latest maxIndexed captures,
// oldest first, whatever order they come in.
func TestCaptureIndexBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var refs []captureRef
	for i := range maxIndexed + 5 {
		at := t0.Add(time.Duration((i*7)%(maxIndexed+5)) * time.Minute)
		refs = addRef(refs, captureRef{Incident: at.Format(time.RFC3339), CapturedAt: at})
	}
	if len(refs) != maxIndexed {
		t.Fatalf("%d refs, want %d", len(refs), maxIndexed)
	}
	for i, r := range refs {
		if want := t0.Add(time.Duration(i+5) * time.Minute); !r.CapturedAt.Equal(want) {
			t.Fatalf("ref %d captured at %s, want %s", i, r.CapturedAt, want)
		}
	}
}

// TestBeforeKillSkipsAPrunedRecord: when the latest capture's record is
// gone from the store, the report leads with the one before it.
func TestBeforeKillSkipsAPrunedRecord(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	killed := pproftest.Heap(t, map[string]int64{"main.leak": 400 * mib})
	s := &killScene{now: t0, killed: map[string]time.Time{}, heaps: map[string][]byte{"api-1": killed}}
	store := &memStore{}
	h, n := startKillHandler(t, s, store, 0, time.Minute)
	_, first := fireAndReport(t, h, n, killAlert(capture.KindMemory, "api-1"))
	s.set(func(s *killScene) { s.now = t0.Add(5 * time.Minute) })
	a := killAlert(capture.KindMemory, "api-1")
	a.Fingerprint += "-again"
	_, second := fireAndReport(t, h, n, a)
	if first.ID == second.ID {
		t.Fatal("the second capture joined the first incident")
	}
	waitStored(t, store, recordKey(second))
	_ = h.Shutdown(context.Background())
	store.mu.Lock()
	delete(store.objs, recordKey(second)) // retention removed it
	store.mu.Unlock()

	h, n = startKillHandler(t, s, store, 0, time.Minute)
	s.set(func(s *killScene) { s.killed["api-1"], s.now = t0.Add(14*time.Minute), t0.Add(20*time.Minute) })
	pr, _ := fireAndReport(t, h, n, killAlert(capture.KindRestart, "api-1"))
	if pr.BeforeKill == nil || pr.BeforeKill.Incident != first.ID || !strings.HasPrefix(pr.BeforeKill.Lead, "14 min before the kill") {
		t.Fatalf("before kill %+v, want the first capture (incident %s) 14 min before", pr.BeforeKill, first.ID)
	}
}
