package handler

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/report"
)

// TestAPIServerUnavailable: with the Kubernetes API unreachable, an alert
// is still acknowledged, the report says why nothing was captured, the
// receiver stays up, and no pod address is guessed or fetched.
func TestAPIServerUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens here any more: connections are refused

	client, err := kube.NewClient(&rest.Config{Host: "http://" + dead, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	resolver := kube.NewResolver(client, kube.Options{FetchMode: "direct", Logger: slog.New(slog.DiscardHandler)})
	capt := &fakeCapturer{}
	plan, _ := capture.Plan([]string{"heap"}, 1)
	n := newRecNotifier()
	h, err := New(Config{Plan: plan, JobTimeout: 20 * time.Second}, Deps{
		Resolver: resolver, Capturer: capt, Store: &memStore{}, Notifier: n, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	}()

	a := alert("firing", "10.1.2.3:6060")
	a.Labels["namespace"], a.Labels["pod"] = "shop", "api-0"
	r := &rig{h: h}
	if rec := r.post(t, payload(t, "g1", "firing", a), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ev := n.next(t); ev.Kind != report.Opened {
		t.Fatalf("got %s", ev.Kind)
	}
	ev := n.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Problem == "" {
		t.Fatalf("want a report line saying the API server is unreachable, got %s %+v", ev.Kind, ev.Pod)
	}
	if !strings.Contains(ev.Pod.Problem, dead) && !strings.Contains(strings.ToLower(ev.Pod.Problem), "refused") {
		t.Fatalf("the report line does not say what failed: %q", ev.Pod.Problem)
	}
	if capt.total() != 0 {
		t.Fatal("something was fetched without a resolved pod")
	}
	rec := serve(h, httptestGet("/healthz"))
	if rec.Code != http.StatusOK {
		t.Fatalf("healthz %d after the failure", rec.Code)
	}
}
