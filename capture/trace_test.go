package capture

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"testing"
	"time"
)

func TestProfileForTrace(t *testing.T) {
	tests := []struct {
		name      string
		seconds   int
		wantQuery string
	}{
		{name: "unset is the default", seconds: 0, wantQuery: "seconds=5"},
		{name: "asked seconds", seconds: 12, wantQuery: "seconds=12"},
		{name: "negative clamps to one", seconds: -3, wantQuery: "seconds=1"},
		{name: "too long clamps to max", seconds: 3600, wantQuery: "seconds=60"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ProfileFor("trace", Settings{TraceSeconds: tc.seconds, CPUSeconds: 30})
			if err != nil {
				t.Fatal(err)
			}
			if p.Endpoint != "trace" || !p.Trace() || p.Text() || p.File() != "trace.out" || p.Query() != tc.wantQuery {
				t.Errorf("trace profile %+v (file %s, query %s), want endpoint trace, trace.out, %s", p, p.File(), p.Query(), tc.wantQuery)
			}
		})
	}
	if MaxTraceSeconds != 60 || DefaultTraceSeconds != 5 {
		t.Errorf("MaxTraceSeconds, DefaultTraceSeconds = %d, %d; want 60, 5", MaxTraceSeconds, DefaultTraceSeconds)
	}
	lat, err := PlanFor(DefaultPlans[KindLatency], Settings{CPUSeconds: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range lat {
		found = found || p.Trace()
	}
	if !found {
		t.Errorf("latency plan %+v has no execution trace", lat)
	}
}

// TestFetchRealTrace fetches an execution trace from net/http/pprof's own
// handler in this process.
func TestFetchRealTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(pprof.Trace))
	t.Cleanup(srv.Close)
	tg := Target{Address: srv.Listener.Addr().String(), Path: "/debug/pprof"}
	p, err := ProfileFor("trace", Settings{TraceSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	res := NewFetcher(nil, 0, 10*time.Second).Fetch(context.Background(), tg, p)
	if res.Err != nil {
		t.Fatalf("Fetch: %v", res.Err)
	}
	if !bytes.HasPrefix(res.Data, []byte("go 1.")) || res.Parsed != nil {
		t.Errorf("trace data starts %q (parsed %v), want a raw trace", res.Data[:min(len(res.Data), 16)], res.Parsed != nil)
	}
}

func TestFetchTraceFaults(t *testing.T) {
	heap := realProfile(t, "heap")
	tests := []struct {
		name     string
		maxBytes int64
		handler  http.HandlerFunc
		reason   string
		msgs     []string
	}{
		{name: "404", handler: http.NotFound, reason: ReasonStatus, msgs: []string{"HTTP 404", "404 page not found"}},
		{
			name: "tracing already enabled",
			handler: func(w http.ResponseWriter, r *http.Request) {
				// What net/http/pprof answers while another trace runs.
				http.Error(w, "Could not enable tracing: tracing is already enabled", http.StatusInternalServerError)
			},
			reason: ReasonStatus,
			msgs:   []string{"HTTP 500", "tracing is already enabled"},
		},
		{
			name: "html page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Please sign in</body></html>")
			},
			reason: ReasonNotProfile,
			msgs:   []string{"HTML"},
		},
		{
			name:    "a pprof profile is not a trace",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(heap) },
			reason:  ReasonNotProfile,
			msgs:    []string{"not a Go execution trace"},
		},
		{
			name:    "a header without the trace word",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "go 1.26 profile\x00\x00\x00") },
			reason:  ReasonNotProfile,
			msgs:    []string{"not a Go execution trace"},
		},
		{
			name:    "empty body",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			reason:  ReasonNotProfile,
			msgs:    []string{"not a Go execution trace"},
		},
		{
			name:     "over the cap",
			maxBytes: 4096,
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "go 1.26 trace\x00\x00\x00")
				_, _ = w.Write(bytes.Repeat([]byte{0}, 8<<10))
			},
			reason: ReasonTooLarge,
			msgs:   []string{"4096-byte cap"},
		},
	}
	p, err := ProfileFor("trace", Settings{TraceSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			res := NewFetcher(nil, tc.maxBytes, 5*time.Second).Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), p)
			wantFetchError(t, res, tc.reason, tc.msgs...)
		})
	}
}
