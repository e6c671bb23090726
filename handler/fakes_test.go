package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// heapProfile is a real heap profile of the test process.
var heapProfile = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// fakeCapturer returns the test process's heap profile for every profile
// of the plan. When gate is non-nil each capture waits for a value on it.
type fakeCapturer struct {
	mu          sync.Mutex
	calls       map[string]int
	inFlight    int
	maxInFlight int
	hold        time.Duration // each capture lasts this long
	gate        chan struct{}
	busy        chan string // optional: told when a capture starts
}

func (f *fakeCapturer) Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[string]int)
	}
	f.calls[t.Key()]++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	if f.hold > 0 {
		time.Sleep(f.hold)
	}
	if f.busy != nil {
		f.busy <- t.Key()
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			out := make([]capture.Result, len(plan))
			for i, p := range plan {
				out[i] = capture.Result{Profile: p, Err: &capture.FetchError{Profile: p.Name, Reason: capture.ReasonCanceled, Detail: "canceled", Err: ctx.Err()}}
			}
			return out
		}
	}
	out := make([]capture.Result, len(plan))
	for i, p := range plan {
		data := heapProfile()
		parsed, err := profile.ParseData(data)
		if err != nil {
			panic(err)
		}
		out[i] = capture.Result{Profile: p, Data: data, Parsed: parsed, Duration: time.Millisecond}
	}
	return out
}

func (f *fakeCapturer) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeCapturer) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// memStore keeps artifacts in memory.
type memStore struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *memStore) Put(_ context.Context, key string, data []byte, _ capture.Meta) error {
	b := bytes.Clone(data)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs = make(map[string][]byte)
	}
	m.objs[key] = b
	return nil
}

func (m *memStore) Link(key string) string { return "mem://" + key }

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) keys(suffix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.objs {
		if strings.HasSuffix(k, suffix) {
			out = append(out, k)
		}
	}
	return out
}

func (m *memStore) get(key string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.objs[key]
}

// recNotifier records events and hands them to the test.
type recNotifier struct {
	events chan report.Event
}

func newRecNotifier() *recNotifier { return &recNotifier{events: make(chan report.Event, 100)} }

func (n *recNotifier) Notify(_ context.Context, ev report.Event) (report.Thread, error) {
	n.events <- ev
	return report.Thread{}, nil
}

func (n *recNotifier) next(t *testing.T) report.Event {
	t.Helper()
	select {
	case ev := <-n.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return report.Event{}
	}
}

func (n *recNotifier) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case ev := <-n.events:
		t.Fatalf("unexpected %s event (pod %+v)", ev.Kind, ev.Pod)
	case <-time.After(wait):
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	h        *Handler
	capturer *fakeCapturer
	store    *memStore
	notifier *recNotifier
	logs     *syncBuffer
}

func newRig(t *testing.T, cfg Config, capt *fakeCapturer) *rig {
	t.Helper()
	if capt == nil {
		capt = &fakeCapturer{}
	}
	if cfg.Plan == nil {
		plan, err := capture.Plan([]string{"heap", "goroutine"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Plan = plan
	}
	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{capturer: capt, store: &memStore{}, notifier: newRecNotifier(), logs: &syncBuffer{}}
	r.h, err = New(cfg, Deps{
		Resolver: resolver,
		Capturer: capt,
		Store:    r.store,
		Notifier: r.notifier,
		Logger:   slog.New(slog.NewTextHandler(r.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.h.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.h.Shutdown(ctx)
	})
	return r
}

func (r *rig) post(t *testing.T, body []byte, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

// payload builds a version 4 notification for alerts of one group.
func payload(t testing.TB, groupKey, status string, alerts ...template.Alert) []byte {
	t.Helper()
	msg := webhook.Message{
		Data: &template.Data{
			Receiver:     "alertprof",
			Status:       status,
			Alerts:       alerts,
			GroupLabels:  template.KV{"alertname": "HeapGrowing"},
			CommonLabels: template.KV{"alertname": "HeapGrowing", "severity": "warning"},
			ExternalURL:  "http://alertmanager.invalid",
		},
		Version:  "4",
		GroupKey: groupKey,
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func alert(status, instance string) template.Alert {
	return template.Alert{
		Status:      status,
		Labels:      template.KV{"alertname": "HeapGrowing", "severity": "warning", "instance": instance},
		Annotations: template.KV{"summary": "heap grows"},
		StartsAt:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Fingerprint: fmt.Sprintf("fp-%s", instance),
	}
}

func newWebhookRequest(body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func itoa(i int) string { return strconv.Itoa(i) }

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func httptestGet(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }

// staticResolver is the static resolver over the default allowed CIDRs.
func staticResolver(t *testing.T) *capture.Static {
	t.Helper()
	static, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	return static
}

// startHandler builds and starts a handler, filling what cfg and deps
// leave out: a heap plan, the static resolver, the fake capturer, an
// in-memory store, a recording notifier and a silent logger.
func startHandler(t *testing.T, cfg Config, deps Deps) *Handler {
	t.Helper()
	if cfg.Plan == nil {
		plan, err := capture.Plan([]string{"heap"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Plan = plan
	}
	if deps.Resolver == nil {
		deps.Resolver = staticResolver(t)
	}
	if deps.Capturer == nil {
		deps.Capturer = &fakeCapturer{}
	}
	if deps.Store == nil {
		deps.Store = &memStore{}
	}
	if deps.Notifier == nil {
		deps.Notifier = newRecNotifier()
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	return h
}
