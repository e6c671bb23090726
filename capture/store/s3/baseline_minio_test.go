//go:build integration

package s3_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
)

// TestS3KeepsOneBaselinePerWorkload: healthy baselines in a real MinIO
// bucket: a workload's new baseline replaces its old one, whose objects
// are deleted; the index reads back in a new process's store.
func TestS3KeepsOneBaselinePerWorkload(t *testing.T) {
	m := startMinio(t)
	s := newS3(t, m, nil)
	ctx := context.Background()
	w := capture.Workload{Namespace: "shop", Kind: capture.WorkloadDeployment, Name: "api"}
	files := map[string]baseline.File{"heap": {File: "heap.pb.gz", Data: heapProfile(t)}}
	b := baseline.New(s, 10, nil)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := b.Save(ctx, baseline.Entry{Workload: w, Target: "shop/api-1", TakenAt: t0}, files)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Save(ctx, baseline.Entry{Workload: w, Target: "shop/api-2", TakenAt: t0.Add(time.Hour)}, files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, first.Artifacts[0].Key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the replaced baseline's heap is still there: %v", err)
	}
	if _, err := b.Read(ctx, second.Artifacts[0].Key, 64<<20); err != nil {
		t.Fatalf("the new baseline's heap: %v", err)
	}
	again := baseline.New(s, 10, nil)
	if err := again.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if e, ok := again.Latest(w); !ok || e.Target != "shop/api-2" {
		t.Fatalf("after a restart: %+v, %v", e, ok)
	}
	if err := s.Delete(ctx, "baselines/none"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
}
