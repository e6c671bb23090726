package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

func TestLocalPrune(t *testing.T) {
	l := newLocal(t, "")
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	put := func(key string, age time.Duration) {
		t.Helper()
		if err := l.Put(context.Background(), key, []byte("x"), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-age)
		if err := os.Chtimes(filepath.Join(l.Dir(), key), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	put("incidents/2026/01/01/old/ns/pod/heap.pb.gz", 60*24*time.Hour)
	put("incidents/2026/01/01/old/incident.json", 60*24*time.Hour)
	// Opened long ago but written to recently: still alive.
	put("incidents/2026/01/02/long/ns/pod/heap.pb.gz", 60*24*time.Hour)
	put("incidents/2026/01/02/long/incident.json", time.Hour)
	put("incidents/2026/03/10/new/ns/pod/heap.pb.gz", time.Hour)
	put("state/groups/abc.json", 90*24*time.Hour) // not an incident: never pruned

	removed, err := l.Prune(now.Add(-30 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"incidents/2026/01/01/old"}) {
		t.Fatalf("removed %q, want only the old incident", removed)
	}
	for _, gone := range []string{"incidents/2026/01/01/old", "incidents/2026/01/01"} {
		if _, err := os.Stat(filepath.Join(l.Dir(), gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists (err %v)", gone, err)
		}
	}
	for _, kept := range []string{"incidents/2026/01/02/long/ns/pod/heap.pb.gz", "incidents/2026/03/10/new/ns/pod/heap.pb.gz", "state/groups/abc.json"} {
		if _, err := os.Stat(filepath.Join(l.Dir(), kept)); err != nil {
			t.Errorf("%s was removed: %v", kept, err)
		}
	}
	if removed, err := l.Prune(now.Add(-30 * 24 * time.Hour)); err != nil || len(removed) != 0 {
		t.Fatalf("second prune removed %q, %v; want nothing", removed, err)
	}
}
