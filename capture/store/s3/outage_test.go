//go:build integration

package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store/spool"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// servePprof serves this process's net/http/pprof on 127.0.0.1.
func servePprof(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// recordingCapturer keeps the bytes every capture returned, by artifact
// suffix "<namespace>/<pod>/<profile>.pb.gz".
type recordingCapturer struct {
	inner handler.Capturer
	mu    sync.Mutex
	got   map[string][]byte
}

func (r *recordingCapturer) Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	res := r.inner.Capture(ctx, t, plan)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range res {
		if x.Err == nil {
			r.got[t.Namespace+"/"+t.Pod+"/"+x.Profile.Name+".pb.gz"] = x.Data
		}
	}
	return res
}

type eventSink chan report.Event

func (s eventSink) Notify(_ context.Context, ev report.Event) (report.Thread, error) {
	s <- ev
	return report.Thread{}, nil
}

func (s eventSink) captured(t *testing.T) report.PodReport {
	t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case ev := <-s:
			if ev.Kind == report.Captured && ev.Pod != nil {
				return *ev.Pod
			}
		case <-timeout:
			t.Fatal("no capture report within 90s")
		}
	}
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestMinioDownDuringIncident runs the real pipeline (webhook, static
// resolver, real pprof fetches) into a real MinIO, kills MinIO in the
// middle of the incident, and checks that the report still arrives marked
// pending and that after MinIO returns every artifact is there, byte for
// byte, behind its presigned link.
func TestMinioDownDuringIncident(t *testing.T) {
	m := startMinio(t)
	remote := newS3(t, m, nil)
	sp, dropped, err := spool.Open(t.TempDir(), 64<<20)
	if err != nil || len(dropped) != 0 {
		t.Fatalf("spool.Open: %v %q", err, dropped)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	st := spool.NewStore(remote, sp, dropped, log, reg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go st.Run(ctx, 100*time.Millisecond, time.Second)

	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := capture.Plan([]string{"heap", "goroutine"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	capt := &recordingCapturer{inner: capture.NewFetcher(nil, capture.DefaultMaxBytes, 20*time.Second), got: map[string][]byte{}}
	events := make(eventSink, 100)
	h, err := handler.New(handler.Config{Plan: plan}, handler.Deps{
		Resolver: resolver, Capturer: capt, Store: st, Notifier: events,
		Logger: log, Registerer: reg, Gatherer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		h.Shutdown(sctx)
	})

	podA := strings.TrimPrefix(servePprof(t), "http://")
	podB := strings.TrimPrefix(servePprof(t), "http://")
	post := func(instances ...string) {
		t.Helper()
		var alerts []template.Alert
		for _, inst := range instances {
			alerts = append(alerts, template.Alert{Status: "firing", Fingerprint: inst,
				Labels:   template.KV{"alertname": "HeapGrowing", "instance": inst},
				StartsAt: time.Now().Add(-time.Minute)})
		}
		body, _ := json.Marshal(webhook.Message{Version: "4", GroupKey: "{}:{alertname=\"HeapGrowing\"}", Data: &template.Data{
			Status: "firing", Alerts: alerts, CommonLabels: template.KV{"alertname": "HeapGrowing"}}})
		req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted && rec.Code != http.StatusOK {
			t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
		}
	}

	// The incident opens while MinIO is up: pod A is stored at once.
	post(podA)
	first := events.captured(t)
	for _, p := range first.Profiles {
		if p.Error != "" || p.Link == "" {
			t.Fatalf("pod A %s with MinIO up: error %q, link set %v", p.Name, p.Error, p.Link != "")
		}
	}

	// MinIO dies; the group grows by pod B in the same incident.
	m.stop()
	post(podA, podB)
	second := events.captured(t)
	if !strings.HasSuffix(second.Target, strings.ReplaceAll(podB, ":", "-")) {
		t.Fatalf("second report is for %s, want pod B %s", second.Target, podB)
	}
	var b bytes.Buffer
	if err := report.WritePod(&b, second); err != nil {
		t.Fatal(err)
	}
	for _, p := range second.Profiles {
		if !p.Pending || p.Error != "" || p.Link == "" || p.Key == "" || p.Summary == nil {
			t.Fatalf("pod B %s with MinIO down: pending %v, error %q, key %q, summary %v; want pending upload with key, link and summary", p.Name, p.Pending, p.Error, p.Key, p.Summary != nil)
		}
	}
	if !strings.Contains(b.String(), "pending upload") {
		t.Fatalf("the delivered report does not say pending:\n%s", b.String())
	}
	if st.Pending() == 0 {
		t.Fatal("nothing waits in the spool while MinIO is down")
	}

	// MinIO returns (same port, same data); the spool drains by itself.
	m.start(t)
	deadline := time.Now().Add(2 * time.Minute)
	for st.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d artifacts still spooled 2 minutes after MinIO returned\n%s", st.Pending(), logs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	reports := append(first.Profiles, second.Profiles...)
	if len(reports) != 4 || len(capt.got) != 4 {
		t.Fatalf("%d profile reports, %d captures; want 4 of each", len(reports), len(capt.got))
	}
	for _, p := range reports {
		var want []byte
		for suffix, data := range capt.got {
			if strings.HasSuffix(p.Key, suffix) {
				want = data
			}
		}
		code, got, _ := httpGet(t, p.Link)
		if code != http.StatusOK || !bytes.Equal(got, want) || len(want) == 0 {
			t.Fatalf("%s after recovery: GET %d, %d bytes; want 200 and the %d bytes captured", p.Key, code, len(got), len(want))
		}
	}
	// The summaries and the incident record arrived too, read straight
	// from MinIO (not the spool).
	for _, key := range []string{first.SummaryKey, second.SummaryKey} {
		rc, err := remote.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("summary %s: %v", key, err)
		}
		rc.Close()
	}
	inc := strings.SplitN(first.Profiles[0].Key, "/", 6)
	recKey := strings.Join(inc[:5], "/") + "/incident.json"
	rc, err := remote.Get(context.Background(), recKey)
	if err != nil {
		t.Fatalf("incident record %s: %v", recKey, err)
	}
	defer rc.Close()
	var rec struct {
		Pods []report.PodReport `json:"pods"`
	}
	if err := json.NewDecoder(rc).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Pods) < 2 {
		t.Fatalf("incident record lists %d pods, want both", len(rec.Pods))
	}
	for _, leak := range []string{minioPassword, "X-Amz-Signature", "X-Amz-Credential"} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("logs contain %q:\n%s", leak, logs)
		}
	}
	if strings.Contains(logs.String(), "artifact dropped") {
		t.Fatalf("an artifact was dropped:\n%s", logs)
	}
}
