package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// TestPruneIndexes: retention removes the capture indexes not written
// since the cutoff and keeps the others and every other state record.
func TestPruneIndexes(t *testing.T) {
	l := newLocal(t, "")
	now := time.Now()
	put := func(key string, age time.Duration) {
		t.Helper()
		if err := l.Put(context.Background(), key, []byte("{}"), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-age)
		if err := os.Chtimes(filepath.Join(l.Dir(), key), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	put("state/captures/pods/old.json", 60*24*time.Hour)
	put("state/captures/workloads/old.json", 60*24*time.Hour)
	put("state/captures/pods/new.json", time.Hour)
	put("state/groups/old.json", 90*24*time.Hour)
	if _, err := l.Prune(now.Add(-30 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	for key, kept := range map[string]bool{
		"state/captures/pods/old.json": false, "state/captures/workloads/old.json": false,
		"state/captures/pods/new.json": true, "state/groups/old.json": true,
	} {
		if _, err := os.Stat(filepath.Join(l.Dir(), key)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v (err %v)", key, err == nil, kept, err)
		}
	}
	// Without any index, pruning is no error.
	if _, err := newLocal(t, "").Prune(now); err != nil {
		t.Errorf("prune without indexes: %v", err)
	}
}
