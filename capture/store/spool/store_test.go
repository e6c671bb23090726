package spool

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
)

// flakyRemote is an in-memory object store that can be switched off.
type flakyRemote struct {
	mu    sync.Mutex
	down  bool
	objs  map[string][]byte
	metas map[string]capture.Meta
	sizes map[string]int64 // length known before reading
	puts  int
}

var errDown = errors.New("connection refused")

func (f *flakyRemote) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

func (f *flakyRemote) Put(_ context.Context, key string, data []byte, meta capture.Meta) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.down {
		return errDown
	}
	if f.objs == nil {
		f.objs, f.metas, f.sizes = map[string][]byte{}, map[string]capture.Meta{}, map[string]int64{}
	}
	f.objs[key], f.metas[key], f.sizes[key] = bytes.Clone(data), meta, int64(len(data))
	return nil
}

func (f *flakyRemote) Get(_ context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	b, ok := f.objs[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *flakyRemote) Link(key string) string { return "mem://" + key }

func (f *flakyRemote) obj(key string) ([]byte, capture.Meta, int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objs[key], f.metas[key], f.sizes[key]
}

func newSpooled(t *testing.T, remote *flakyRemote, max int64) (*Store, *prometheus.Registry, *bytes.Buffer) {
	t.Helper()
	sp, dropped, err := Open(t.TempDir(), max)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	logs := &bytes.Buffer{}
	return NewStore(remote, sp, dropped, slog.New(slog.NewTextHandler(logs, nil)), reg), reg, logs
}

func readAll(t *testing.T, rc io.ReadCloser, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpooledUploadsWhenUp(t *testing.T) {
	remote := &flakyRemote{}
	s, reg, _ := newSpooled(t, remote, 1<<20)
	data := []byte("\x1f\x8b profile")
	meta := capture.Meta{Incident: "i", Namespace: "ns", Pod: "p", Profile: "heap", AlertName: "A"}
	if err := s.Put(context.Background(), "k", data, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, size := remote.obj("k")
	if !bytes.Equal(got, data) || gotMeta != meta || size != int64(len(data)) {
		t.Fatalf("remote holds %q %+v (length known: %d), want %q %+v %d", got, gotMeta, size, data, meta, len(data))
	}
	if s.Pending() != 0 {
		t.Fatalf("%d left in the spool after a good upload", s.Pending())
	}
	if v := metricValue(t, reg, "alertprof_uploads_total", "ok"); v != 1 {
		t.Fatalf("uploads ok = %v, want 1", v)
	}
}

func TestSpooledKeepsArtifactsWhileDown(t *testing.T) {
	remote := &flakyRemote{down: true}
	s, reg, logs := newSpooled(t, remote, 1<<20)
	ctx := context.Background()
	want := map[string][]byte{
		"inc/ns/pod/heap.pb.gz":      bytes.Repeat([]byte{1, 2, 3}, 1000),
		"inc/ns/pod/goroutine.pb.gz": []byte("goroutines"),
	}
	for k, v := range want {
		if err := s.Put(ctx, k, v, capture.Meta{Profile: "x"}); !errors.Is(err, capture.ErrPending) {
			t.Fatalf("Put(%s) while down: %v, want ErrPending", k, err)
		}
	}
	// incident.json written twice while down: only the newer may land.
	for _, v := range []string{`{"v":1}`, `{"v":2}`} {
		if err := s.Put(ctx, "inc/incident.json", []byte(v), capture.Meta{}); !errors.Is(err, capture.ErrPending) {
			t.Fatalf("Put(incident.json) while down: %v, want ErrPending", err)
		}
	}
	want["inc/incident.json"] = []byte(`{"v":2}`)
	// Read back while pending: from the spool.
	rc, err := s.Get(ctx, "inc/incident.json")
	if got := readAll(t, rc, err); string(got) != `{"v":2}` {
		t.Fatalf("Get while pending = %q", got)
	}
	if v := metricValue(t, reg, "alertprof_uploads_total", "pending"); v != 4 {
		t.Fatalf("uploads pending = %v, want 4", v)
	}
	if v := metricValue(t, reg, "alertprof_spool_bytes", ""); v == 0 {
		t.Fatal("alertprof_spool_bytes is 0 while artifacts wait")
	}
	if _, err := s.Drain(ctx); err == nil {
		t.Fatal("Drain while down succeeded")
	}

	remote.setDown(false)
	if _, err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got, _, _ := remote.obj(k); !bytes.Equal(got, v) {
			t.Errorf("after recovery %s = %q, want %q", k, got, v)
		}
	}
	if s.Pending() != 0 || metricValue(t, reg, "alertprof_spool_bytes", "") != 0 {
		t.Fatalf("spool not empty after recovery: %d entries", s.Pending())
	}
	if strings.Contains(logs.String(), "dropped") {
		t.Fatalf("something was dropped:\n%s", logs)
	}
	// Back up: the next Put goes straight through.
	if err := s.Put(ctx, "after", []byte("x"), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
}

func TestSpooledDropsOnlyWithLogAndMetric(t *testing.T) {
	remote := &flakyRemote{down: true}
	s, reg, logs := newSpooled(t, remote, 10)
	err := s.Put(context.Background(), "big", make([]byte, 11), capture.Meta{})
	if err == nil || errors.Is(err, capture.ErrPending) {
		t.Fatalf("Put past a full spool with the store down: %v, want a hard error", err)
	}
	if v := metricValue(t, reg, "alertprof_spool_dropped_total", "full"); v != 1 {
		t.Fatalf("spool_dropped_total{full} = %v, want 1", v)
	}
	if !strings.Contains(logs.String(), "artifact dropped") || !strings.Contains(logs.String(), "key=big") {
		t.Fatalf("no log line for the drop:\n%s", logs)
	}
	// With the store up, a body too big for the spool goes direct.
	remote.setDown(false)
	if err := s.Put(context.Background(), "big", make([]byte, 11), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := remote.obj("big"); len(got) != 11 {
		t.Fatalf("direct upload stored %d bytes, want 11", len(got))
	}
}

// metricValue returns the value of the series of name whose only label
// has value label (any series when label is empty).
func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			return m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{%s}", name, label)
	return 0
}
