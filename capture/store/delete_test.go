package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

// TestLocalDelete: Delete removes the file and the directories it leaves
// empty, keeps its neighbours, accepts a missing key and refuses a key
// outside the store.
func TestLocalDelete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := NewLocal(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"baselines/ns/Deployment/a/t1/heap.pb.gz", "baselines/ns/Deployment/b/t1/heap.pb.gz"} {
		if err := l.Put(ctx, k, []byte("x"), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Delete(ctx, "baselines/ns/Deployment/a/t1/heap.pb.gz"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "baselines/ns/Deployment/a")); !os.IsNotExist(err) {
		t.Fatalf("the emptied directories remain: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "baselines/ns/Deployment/b/t1/heap.pb.gz")); err != nil {
		t.Fatalf("a neighbour was removed: %v", err)
	}
	if err := l.Delete(ctx, "baselines/none"); err != nil {
		t.Fatalf("missing key: %v", err)
	}
	if err := l.Delete(ctx, "../outside"); err == nil {
		t.Fatal("a key outside the store was accepted")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the store's root went: %v", err)
	}
}
