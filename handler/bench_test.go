package handler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
)

// benchHandler is a started Handler whose jobs do nothing, so that a
// benchmark measures only the webhook path: decode, validate, enqueue.
func benchHandler(b *testing.B, queue int) *Handler {
	b.Helper()
	plan, _ := capture.Plan([]string{"heap"}, 1)
	resolver, _ := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	h, err := New(Config{QueueSize: queue, Plan: plan}, Deps{
		Resolver: resolver, Capturer: &fakeCapturer{}, Store: &memStore{}, Notifier: newRecNotifier(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	h.pool.run = func(context.Context, job) {}
	h.Start()
	b.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	return h
}

// groupPayloads are realistic notifications: three alerts per group, with
// the labels and annotations a kube-prometheus rule carries.
func groupPayloads(b *testing.B, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var alerts []template.Alert
		for p := range 3 {
			a := alert("firing", fmt.Sprintf("127.0.0.1:%d", 7000+p))
			a.Labels["namespace"] = "payments"
			a.Labels["pod"] = fmt.Sprintf("api-7f9c-%d", p)
			a.Labels["container"] = "api"
			a.Labels["job"] = "kubernetes-pods"
			a.Annotations["description"] = "Container working set is above 80% of its memory limit for 2 minutes."
			alerts = append(alerts, a)
		}
		out[i] = payload(b, fmt.Sprintf(`{}/{severity="warning"}:{alertname="HeapGrowing",group="%d"}`, i), "firing", alerts...)
	}
	return out
}

// BenchmarkWebhook measures the in-process webhook path.
func BenchmarkWebhook(b *testing.B) {
	h := benchHandler(b, 1<<20)
	bodies := groupPayloads(b, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkWebhookLoad sends b.N notifications over loopback HTTP at a
// fixed rate (500 per second, open loop: a slow answer does not delay the
// next request) and reports acknowledgement latency percentiles. Run it
// with a fixed count, e.g. -benchtime=5000x for ten seconds of load.
func BenchmarkWebhookLoad(b *testing.B) {
	const rate = 500
	h := benchHandler(b, 4096)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 5 * time.Second}
	bodies := groupPayloads(b, 64)

	lat := make([]time.Duration, b.N)
	var failures int
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		wg.Go(func() {
			start := time.Now()
			resp, err := client.Post(srv.URL+"/api/v1/alerts", "application/json", bytes.NewReader(bodies[i%len(bodies)]))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			lat[i] = time.Since(start)
			if err != nil || resp.StatusCode != http.StatusAccepted {
				mu.Lock()
				failures++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if failures > 0 {
		b.Fatalf("%d of %d requests were not accepted", failures, b.N)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
