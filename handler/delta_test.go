package handler

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	netpprof "net/http/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// metaStore is a memStore that keeps each artifact's metadata too.
type metaStore struct {
	memStore
	mu    sync.Mutex
	metas map[string]capture.Meta
}

func (m *metaStore) Put(ctx context.Context, key string, data []byte, meta capture.Meta) error {
	m.mu.Lock()
	if m.metas == nil {
		m.metas = make(map[string]capture.Meta)
	}
	m.metas[key] = meta
	m.mu.Unlock()
	return m.memStore.Put(ctx, key, data, meta)
}

// TestDeltaWindowsAreLabelled: a capture of Go's own net/http/pprof whose
// mutex endpoint refuses ?seconds=N (as a pprof server that is not Go's
// may): allocs comes as a delta over the window, mutex since process
// start after the refusal. Each artifact's metadata, its report and the
// stored summary say which.
func TestDeltaWindowsAreLabelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/mutex") && r.URL.Query().Has("seconds") {
			http.Error(w, "seconds: not supported", http.StatusBadRequest)
			return
		}
		netpprof.Index(w, r)
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	plan, err := capture.PlanFor([]string{"allocs", "mutex"}, capture.Settings{DeltaSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	store, notifier := &metaStore{}, newRecNotifier()
	h, err := New(Config{Plan: plan}, Deps{
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
	if rec := (&rig{h: h}).post(t, payload(t, "deltas", "firing", alert("firing", addr)), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	if ev := notifier.next(t); ev.Kind != report.Opened {
		t.Fatalf("first event %s, want opened", ev.Kind)
	}
	ev := notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || len(ev.Pod.Profiles) != 2 {
		t.Fatalf("second event %s %+v, want a capture of two profiles", ev.Kind, ev.Pod)
	}
	want := map[string]struct{ meta, window, note string }{
		"allocs": {"1s", "over the last 1s", ""},
		"mutex":  {capture.SinceStart, "since process start", "the target refused ?seconds=1 (the target answered HTTP 400"},
	}
	for _, p := range ev.Pod.Profiles {
		w := want[p.Name]
		if p.Error != "" {
			t.Fatalf("%s failed: %s", p.Name, p.Error)
		}
		store.mu.Lock()
		meta := store.metas[p.Key]
		store.mu.Unlock()
		if meta.Window != w.meta || p.Window != w.window || !strings.Contains(p.Note, w.note) || (w.note == "" && p.Note != "") {
			t.Errorf("%s: metadata window %q, report window %q, note %q; want %q, %q, %q", p.Name, meta.Window, p.Window, p.Note, w.meta, w.window, w.note)
		}
	}
	waitFor(t, func() bool { return len(store.keys("summary.txt")) == 1 })
	sum := string(store.get(store.keys("summary.txt")[0]))
	if !strings.Contains(sum, "alloc_space: total ") || !strings.Contains(sum, " over the last 1s\n") || !strings.Contains(sum, " since process start\n") {
		t.Errorf("summary.txt does not label the windows:\n%s", sum)
	}
	// The record is written as the pod's profiles land: wait for the one
	// with both.
	labelled := func(rec string) bool {
		return strings.Contains(rec, `"window": "over the last 1s"`) && strings.Contains(rec, `"window": "since process start"`)
	}
	var rec string
	for deadline := time.Now().Add(10 * time.Second); !labelled(rec); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("incident.json does not label the windows:\n%s", rec)
		}
		if keys := store.keys("incident.json"); len(keys) == 1 {
			rec = string(store.get(keys[0]))
		}
	}
}

// TestOnDemandCPUWindowMovesTheDeltas: a request's CPU window is the
// delta profiles' too when their window follows the CPU's, whether the
// request names its profiles or takes its kind's plan; an explicit delta
// window stays.
func TestOnDemandCPUWindowMovesTheDeltas(t *testing.T) {
	names := capture.DefaultPlans[capture.KindLatency]
	for _, tc := range []struct {
		name  string
		delta int
		want  int
	}{
		{"follows the CPU", capture.DeltaCPU, 3},
		{"its own", 8, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := capture.Settings{CPUSeconds: 10, TraceSeconds: 1, DeltaSeconds: tc.delta}
			latency, err := capture.PlanFor(names, s)
			if err != nil {
				t.Fatal(err)
			}
			h := &Handler{cfg: Config{Settings: s, Plans: map[string][]capture.Profile{capture.KindLatency: latency}}}
			a := alert("firing", "127.0.0.1:6060")
			a.Labels["alertprof_kind"] = capture.KindLatency
			for _, req := range []CaptureRequest{{CPUSeconds: 3}, {CPUSeconds: 3, Profiles: names}} {
				plan, err := h.planOf(&req, a)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range plan {
					if (p.Name == "cpu" && p.Seconds != 3) || (p.Delta() && p.Seconds != tc.want) {
						t.Errorf("profiles %v: %s takes %d s, want cpu 3 s and deltas %d s", req.Profiles, p.Name, p.Seconds, tc.want)
					}
				}
			}
		})
	}
}
