package capture

import (
	"context"
	"net/http"
	"net/http/httptest"
	netpprof "net/http/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDeltaPlan: allocs, block and mutex take the delta window when one is
// set, and only they do.
func TestDeltaPlan(t *testing.T) {
	plan, err := PlanFor([]string{"heap", "allocs", "block", "mutex", "goroutine", "goroutines", "cpu"}, Settings{CPUSeconds: 5, DeltaSeconds: 90})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plan {
		want := 0
		switch p.Name {
		case "allocs", "block", "mutex":
			want = MaxDeltaSeconds
		case "cpu":
			want = 5
		}
		if p.Seconds != want || p.Delta() != (p.Name != "cpu" && want > 0) {
			t.Errorf("%s: seconds %d (delta %v), want %d", p.Name, p.Seconds, p.Delta(), want)
		}
	}
	follows, err := ProfileFor("block", Settings{CPUSeconds: 7, DeltaSeconds: DeltaCPU})
	if err != nil || follows.Seconds != 7 || follows.Query() != "seconds=7" {
		t.Errorf("block following the CPU window: %+v (%v), want 7 s", follows, err)
	}
	// The memory plan has no CPU window: its allocations follow the heap
	// growth window instead, and end with it.
	memory, err := PlanFor(DefaultPlans[KindMemory], Settings{CPUSeconds: 7, DeltaSeconds: DeltaCPU, HeapGrowthWindow: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range memory {
		if p.Name == "allocs" && (p.Seconds != 20 || !p.Delta()) {
			t.Errorf("the memory plan's allocs: %+v, want a delta over the 20 s growth window", p)
		}
	}
	since, err := ProfileFor("mutex", Settings{CPUSeconds: 5})
	if err != nil || since.Seconds != 0 || since.Delta() || !since.Cumulative() || since.Query() != "" {
		t.Errorf("mutex without a delta window: %+v (%v), want since start", since, err)
	}
}

// TestFetchDeltaFromGo: Go's own net/http/pprof serves the window; the
// result says it covers it.
func TestFetchDeltaFromGo(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", netpprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := ProfileFor("mutex", Settings{DeltaSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	res := NewFetcher(nil, 0, 10*time.Second).Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), p)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Window != 1 || res.WindowMeta() != "1s" || res.WindowNote != "" || res.Parsed == nil || res.Parsed.DurationNanos <= 0 {
		t.Errorf("window %d (%q, note %q), parsed %+v: want a 1 s delta", res.Window, res.WindowMeta(), res.WindowNote, res.Parsed)
	}
}

// TestFetchDeltaFallsBack: a target that answers the window with an error
// is asked again without it, and the profile is labelled since process
// start; one that ignores it is labelled so too; one that refuses the
// caller is not asked again.
func TestFetchDeltaFallsBack(t *testing.T) {
	tests := []struct {
		name      string
		status    int // answer to ?seconds=N; 0 ignores it
		wantCalls int
		wantErr   bool
		wantNote  string
	}{
		{name: "refused", status: http.StatusBadRequest, wantCalls: 2, wantNote: "the target refused ?seconds=1 (the target answered HTTP 400"},
		{name: "not implemented", status: http.StatusInternalServerError, wantCalls: 2, wantNote: "refused ?seconds=1"},
		{name: "ignored", wantCalls: 1, wantNote: "the target ignored ?seconds=1"},
		{name: "forbidden", status: http.StatusForbidden, wantCalls: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := realProfile(t, "mutex")
			var mu sync.Mutex
			var queries []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				queries = append(queries, r.URL.RawQuery)
				mu.Unlock()
				if r.URL.Query().Has("seconds") && tc.status != 0 {
					http.Error(w, "seconds not supported", tc.status)
					return
				}
				_, _ = w.Write(want)
			}))
			t.Cleanup(srv.Close)
			p, err := ProfileFor("mutex", Settings{DeltaSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			res := NewFetcher(nil, 0, 10*time.Second).Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), p)
			mu.Lock()
			defer mu.Unlock()
			if len(queries) != tc.wantCalls || queries[0] != "seconds=1" || (tc.wantCalls == 2 && queries[1] != "") {
				t.Errorf("queries %q, want %d, the first with the window", queries, tc.wantCalls)
			}
			if tc.wantErr {
				wantFetchError(t, res, ReasonStatus, "HTTP 403")
				return
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if string(res.Data) != string(want) || res.Window != 0 || res.WindowMeta() != SinceStart || !strings.Contains(res.WindowNote, tc.wantNote) {
				t.Errorf("window %d (%q), note %q: want the since-start profile noting %q", res.Window, res.WindowMeta(), res.WindowNote, tc.wantNote)
			}
		})
	}
}
