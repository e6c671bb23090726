//go:build integration

package s3_test

import (
	"errors"
	"io/fs"
	"sync"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

// TestConditionalWrites checks, against a real MinIO, the conditional
// writes that keep replicas from clobbering a shared record: create only
// if absent (If-None-Match: *), replace only if unchanged (If-Match), and
// of writers racing from the same version exactly one wins.
func TestConditionalWrites(t *testing.T) {
	m := startMinio(t)
	s := newS3(t, m, nil)
	ctx := t.Context()
	const key = "state/groups/abc.json"

	if _, _, err := s.GetVersion(ctx, key, 1<<20); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key: %v", err)
	}
	v1, err := s.PutIf(ctx, key, []byte(`{"v":1}`), capture.Meta{}, "")
	if err != nil || v1 == "" {
		t.Fatalf("create: %q %v", v1, err)
	}
	if _, err := s.PutIf(ctx, key, []byte(`{"v":"again"}`), capture.Meta{}, ""); !errors.Is(err, capture.ErrConflict) {
		t.Fatalf("create over an existing object: %v", err)
	}
	data, etag, err := s.GetVersion(ctx, key, 1<<20)
	if err != nil || string(data) != `{"v":1}` || etag != v1 {
		t.Fatalf("read back: %q %q (wrote %q) %v", data, etag, v1, err)
	}
	if _, _, err := s.GetVersion(ctx, key, 3); err == nil {
		t.Fatal("an object over the limit was read")
	}

	// Three writers read version 1 and race to replace it: one wins.
	var wg sync.WaitGroup
	results := make([]error, 3)
	for i := range results {
		wg.Go(func() {
			_, results[i] = s.PutIf(ctx, key, []byte(`{"v":2,"writer":`+string(rune('0'+i))+`}`), capture.Meta{}, v1)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, capture.ErrConflict):
			t.Fatalf("racing writer: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers replaced version 1: %v", won, results)
	}
	// A writer with a stale version is refused; with the current one, it
	// goes through.
	if _, err := s.PutIf(ctx, key, []byte(`{"v":"stale"}`), capture.Meta{}, v1); !errors.Is(err, capture.ErrConflict) {
		t.Fatalf("stale writer: %v", err)
	}
	_, cur, err := s.GetVersion(ctx, key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutIf(ctx, key, []byte(`{"v":3}`), capture.Meta{}, cur); err != nil {
		t.Fatalf("current writer: %v", err)
	}
}
