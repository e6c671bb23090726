package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/capture/store/spool"
)

// switchRemote is an in-memory object store whose writes can fail, as
// when it is down, or be refused the way a missing bucket refuses them.
// Reads always work here: a failed read is a failure, and is not what
// these tests are about.
type switchRemote struct {
	mu      sync.Mutex
	down    bool
	refused error
	objs    map[string][]byte
}

func (s *switchRemote) set(down bool, refused error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down, s.refused = down, refused
}

func (s *switchRemote) Put(_ context.Context, key string, data []byte, _ capture.Meta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.refused != nil:
		return s.refused
	case s.down:
		return errors.New("connection refused")
	}
	if s.objs == nil {
		s.objs = make(map[string][]byte)
	}
	s.objs[key] = bytes.Clone(data)
	return nil
}

func (s *switchRemote) Get(_ context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *switchRemote) Link(key string) string { return "mem://" + key }

func (s *switchRemote) object(suffix string) (string, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.objs {
		if strings.HasSuffix(k, suffix) {
			return k, v
		}
	}
	return "", nil
}

// spoolRig is a handler whose store is the real spool in front of a
// switchRemote, wired as serve wires it.
func spoolRig(t *testing.T) (*rig, *spool.Store, *switchRemote) {
	t.Helper()
	remote := &switchRemote{}
	sp, dropped, err := spool.Open(t.TempDir(), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{capturer: &fakeCapturer{}, notifier: newRecNotifier(), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := spool.NewStore(remote, sp, dropped, log, prometheus.NewRegistry())
	plan, err := capture.Plan([]string{"heap", "goroutine"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	resolver, err := capture.NewStatic(capture.DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	r.h, err = New(Config{Plan: plan}, Deps{Resolver: resolver, Capturer: r.capturer, Store: st, Notifier: r.notifier, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	st.OnUploaded(r.h.Uploaded)
	r.h.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.h.Shutdown(ctx)
	})
	return r, st, remote
}

// TestPendingWritesAreNotFailuresAndLandLater: while the object store is
// down, every write of a job is kept in the spool; none is logged as an
// error or counted as a failure, and incident.json says the profiles are
// pending. When the spool drains, incident.json is rewritten without
// "pending", both while the incident is open and after it was resolved
// and forgotten.
func TestPendingWritesAreNotFailuresAndLandLater(t *testing.T) {
	for _, resolve := range []bool{false, true} {
		t.Run(fmt.Sprintf("resolved=%v", resolve), func(t *testing.T) {
			r, st, remote := spoolRig(t)
			remote.set(true, nil)
			if rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil); rec.Code != http.StatusAccepted {
				t.Fatalf("status %d", rec.Code)
			}
			r.notifier.next(t) // opened
			ev := r.notifier.next(t)
			if ev.Pod == nil || len(ev.Pod.Profiles) == 0 || !ev.Pod.Profiles[0].Pending {
				t.Fatalf("the report does not say the upload is pending: %+v", ev.Pod)
			}
			recKey := recordKey(ev.Incident)
			waitFor(t, func() bool { return st.Waiting(groupStateKey("g1")) })
			if resolve {
				if rec := r.post(t, payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060")), nil); rec.Code != http.StatusAccepted {
					t.Fatalf("resolve: status %d", rec.Code)
				}
				r.notifier.next(t) // resolved
				waitFor(t, func() bool { _, _, ok := r.h.book.saved(ev.Incident.ID); return !ok })
			}
			rc, err := st.Get(context.Background(), recKey)
			spooled := readAllClose(t, rc, err)
			if !bytes.Contains(spooled, []byte(`"pending": true`)) {
				t.Fatalf("the spooled incident.json does not mark the profiles pending:\n%s", spooled)
			}
			if v := counterValue(r.h.metrics.failures.WithLabelValues("record")); v != 0 {
				t.Fatalf("failures_total{stage=record} = %v for writes kept in the spool", v)
			}
			if logs := r.logs.String(); strings.Contains(logs, "level=ERROR") {
				t.Fatalf("a spooled write was logged as an error:\n%s", logs)
			}

			remote.set(false, nil)
			if _, err := st.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, landed := remote.object(recKey)
			if landed == nil {
				t.Fatal("incident.json did not reach the store")
			}
			if bytes.Contains(landed, []byte(`"pending"`)) || !bytes.Contains(landed, []byte(`"key"`)) {
				t.Fatalf("incident.json still says pending after its uploads landed:\n%s", landed)
			}
			if st.Pending() != 0 {
				t.Fatalf("%d artifacts still spooled", st.Pending())
			}
		})
	}
}

// TestReadyzNamesAStoreThatRefuses: an error that retrying cannot heal
// (a missing bucket) fails /readyz with the reason, and an upload that
// succeeds clears it.
func TestReadyzNamesAStoreThatRefuses(t *testing.T) {
	r, st, remote := spoolRig(t)
	if rec := serve(r.h, httptestGet("/readyz")); rec.Code != http.StatusOK {
		t.Fatalf("readyz %d before any error", rec.Code)
	}
	missing := store.Permanent(errors.New("put x in bucket alertprof-gone: The specified bucket does not exist"))
	remote.set(false, missing)
	err := st.Put(context.Background(), "incidents/a", []byte("x"), capture.Meta{})
	if !errors.Is(err, capture.ErrPending) {
		t.Fatalf("put: %v, want pending", err)
	}
	rec := serve(r.h, httptestGet("/readyz"))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "alertprof-gone") {
		t.Fatalf("readyz %d %s, want 503 naming the bucket", rec.Code, rec.Body)
	}
	remote.set(false, nil)
	if _, err := st.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := serve(r.h, httptestGet("/readyz")); rec.Code != http.StatusOK {
		t.Fatalf("readyz %d after the store came back: %s", rec.Code, rec.Body)
	}
	// A store that is merely down is not a reason to be unready: the
	// spool is for that.
	remote.set(true, nil)
	_ = st.Put(context.Background(), "incidents/b", []byte("x"), capture.Meta{})
	if rec := serve(r.h, httptestGet("/readyz")); rec.Code != http.StatusOK {
		t.Fatalf("readyz %d while the store is only down", rec.Code)
	}
}

func readAllClose(t *testing.T, rc io.ReadCloser, err error) []byte {
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
