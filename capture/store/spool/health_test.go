package spool

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
)

// refusingRemote refuses every write the way a missing bucket does until
// it is fixed.
type refusingRemote struct {
	flakyRemote
	refuse bool
}

func (r *refusingRemote) Put(ctx context.Context, key string, data []byte, meta capture.Meta) error {
	if r.refuse {
		return store.Permanent(errors.New("bucket gone: NoSuchBucket"))
	}
	return r.flakyRemote.Put(ctx, key, data, meta)
}

func TestHealthAndUploadedCallback(t *testing.T) {
	remote := &refusingRemote{refuse: true}
	sp, dropped, err := Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(remote, sp, dropped, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	var landed []map[string]capture.Meta
	s.OnUploaded(func(_ context.Context, m map[string]capture.Meta) { landed = append(landed, m) })

	if err := s.Put(context.Background(), "a", []byte("1"), capture.Meta{Incident: "i1"}); !errors.Is(err, capture.ErrPending) {
		t.Fatalf("put: %v", err)
	}
	if err := s.Health(); !errors.Is(err, store.ErrPermanent) {
		t.Fatalf("health after a refusal: %v", err)
	}
	if !s.Waiting("a") || s.Waiting("b") {
		t.Fatal("Waiting does not follow the spool")
	}
	// A transient error does not replace or clear the reason.
	s.SetHealth(errors.New("connection refused"))
	if s.Health() == nil {
		t.Fatal("a transient error cleared the refusal")
	}
	remote.refuse = false
	if n, err := s.Drain(context.Background()); n != 1 || err != nil {
		t.Fatalf("drain: %d %v", n, err)
	}
	if s.Health() != nil || s.Waiting("a") {
		t.Fatalf("after the upload: health %v, waiting %v", s.Health(), s.Waiting("a"))
	}
	if len(landed) != 1 || landed[0]["a"].Incident != "i1" {
		t.Fatalf("uploaded callback got %v", landed)
	}
	// A drain with nothing to upload tells nobody.
	if _, err := s.Drain(context.Background()); err != nil || len(landed) != 1 {
		t.Fatalf("empty drain: %v, %d calls", err, len(landed))
	}
}
