package capture

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	cases := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"alertprof_kind": "latency", "alertname": "HeapHigh"}, KindLatency},
		{map[string]string{"alertprof_kind": "bogus", "alertname": "HeapHigh"}, KindMemory},
		{map[string]string{"alertname": "ContainerMemoryNearLimit"}, KindMemory},
		{map[string]string{"alertname": "KubePodCrashLooping"}, KindRestart},
		{map[string]string{"alertname": "PodOOMKilled"}, KindRestart},
		{map[string]string{"alertname": "APILatencyP99High"}, KindLatency},
		{map[string]string{"alertname": "Watchdog"}, KindDefault},
		{map[string]string{}, KindDefault},
	}
	for _, c := range cases {
		if got := KindOf(c.labels); got != c.want {
			t.Errorf("KindOf(%v) = %s, want %s", c.labels, got, c.want)
		}
	}
	for _, k := range Kinds {
		if _, err := Plan(DefaultPlans[k], 10); err != nil {
			t.Errorf("default plan for %s: %v", k, err)
		}
	}
}

func TestProfileForTextAndDelayed(t *testing.T) {
	g, err := ProfileFor("goroutines", Settings{})
	if err != nil || !g.Text() || g.Query() != "debug=2" || g.File() != "goroutines.txt" {
		t.Fatalf("goroutines: %+v %v", g, err)
	}
	h, err := ProfileFor("heap-2", Settings{HeapGrowthWindow: 5 * time.Second})
	if err != nil || h.Delay != 5*time.Second || h.Endpoint != "heap" || h.File() != "heap-2.pb.gz" {
		t.Fatalf("heap-2: %+v %v", h, err)
	}
	if h, _ := ProfileFor("heap-2", Settings{}); h.Delay != DefaultHeapGrowthWindow {
		t.Fatalf("default growth window %s", h.Delay)
	}
}

func TestFetchGoroutineDump(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("debug") == "2" {
			_ = pprof.Lookup("goroutine").WriteTo(w, 2)
			return
		}
		_, _ = w.Write([]byte("not a dump"))
	}))
	defer srv.Close()
	target := Target{Address: strings.TrimPrefix(srv.URL, "http://"), Path: "/debug/pprof"}
	f := NewFetcher(nil, 0, 5*time.Second)
	p, _ := ProfileFor("goroutines", Settings{})
	res := f.Fetch(context.Background(), target, p)
	if res.Err != nil || !strings.HasPrefix(string(res.Data), "goroutine ") || res.Parsed != nil {
		t.Fatalf("dump: err %v, %d bytes", res.Err, len(res.Data))
	}
	p.Debug = 3 // the server answers plain text that is not a dump
	var fe *FetchError
	if res := f.Fetch(context.Background(), target, p); res.Err == nil || !asFetchError(res.Err, &fe) || fe.Reason != ReasonNotProfile {
		t.Fatalf("a non-dump was accepted: %v", res.Err)
	}
}

func TestDelayedFetchIsCanceled(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	p, _ := ProfileFor("heap-2", Settings{HeapGrowthWindow: time.Hour})
	res := NewFetcher(nil, 0, time.Second).Fetch(ctx, Target{Address: strings.TrimPrefix(srv.URL, "http://"), Path: "/debug/pprof"}, p)
	var fe *FetchError
	if !asFetchError(res.Err, &fe) || fe.Reason != ReasonCanceled || hits != 0 {
		t.Fatalf("err %v, hits %d; want canceled before any request", res.Err, hits)
	}
}

func asFetchError(err error, fe **FetchError) bool { return errors.As(err, fe) }
