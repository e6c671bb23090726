package handler

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/webui"
)

// TestReportsLinkToThePprofUI runs the pipeline with the real pprof UI
// mounted: the heap profile's report carries a link that the handler
// serves as pprof's flame graph, and the text goroutine dump has none.
func TestReportsLinkToThePprofUI(t *testing.T) {
	plan, err := capture.Plan([]string{"heap", "goroutines"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	mem, notifier := &memStore{}, newRecNotifier()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	signer, err := store.NewSigner([]byte("handler-test-key"), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := webui.New(mem, signer, webui.Config{BaseURL: srv.URL, MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Plan: plan}, Deps{Resolver: resolver, Capturer: &fakeCapturer{}, Store: mem,
		Notifier: notifier, Logger: slog.New(slog.DiscardHandler), UI: ui})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", h)
	h.Start()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	}()

	req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", strings.NewReader(string(payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")))))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
	var ev report.Event
	for ev.Kind != report.Captured {
		ev = notifier.next(t)
	}
	var heap, dump report.ProfileReport
	for _, p := range ev.Pod.Profiles {
		switch p.Name {
		case "heap":
			heap = p
		case "goroutines":
			dump = p
		}
	}
	if dump.Key == "" || dump.UILink != "" {
		t.Fatalf("goroutines (%q) is a text artifact and must have no UI link, got %q", dump.Key, dump.UILink)
	}
	if heap.Summary == nil || len(heap.Summary.Rows) == 0 || !strings.HasPrefix(heap.UILink, srv.URL+"/ui/") {
		t.Fatalf("heap report: link %q, summary %v", heap.UILink, heap.Summary != nil)
	}
	resp, err := http.Get(heap.UILink)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	resp.Body.Close()
	if top := heap.Summary.Rows[0].Function; resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"`+top+`"`) {
		t.Fatalf("GET %s: %d; the page lacks the top function %q", heap.UILink, resp.StatusCode, top)
	}
}
