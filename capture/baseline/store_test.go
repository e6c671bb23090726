package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// objects is an in-memory artifact store that can delete.
type objects struct {
	mu   sync.Mutex
	m    map[string][]byte
	puts int
}

func newObjects() *objects { return &objects{m: make(map[string][]byte)} }

func (o *objects) Put(_ context.Context, key string, data []byte, _ capture.Meta) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[key] = bytes.Clone(data)
	o.puts++
	return nil
}

func (o *objects) Get(_ context.Context, key string) (io.ReadCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.m[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (o *objects) Link(key string) string { return "http://store/" + key }

func (o *objects) Delete(_ context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, key)
	return nil
}

func (o *objects) keys(prefix string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for k := range o.m {
		if strings.HasPrefix(k, prefix) && k != IndexKey {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func deployment(name string) capture.Workload {
	return capture.Workload{Namespace: "shop", Kind: capture.WorkloadDeployment, Name: name}
}

func files(heap, gor string) map[string]File {
	return map[string]File{"heap": {File: "heap.pb.gz", Data: []byte(heap)}, "goroutine": {File: "goroutine.pb.gz", Data: []byte(gor)}}
}

func TestStoreKeepsOnePerWorkload(t *testing.T) {
	ctx := context.Background()
	objs := newObjects()
	s := New(objs, 10, nil)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := s.Save(ctx, Entry{Workload: deployment("api"), Target: "shop/api-1", TakenAt: t0}, files("h1", "g1"))
	if err != nil {
		t.Fatal(err)
	}
	heap, ok := first.Artifact("heap")
	if !ok || heap.Key != "baselines/shop/Deployment/api/20260102T030405.000Z/heap.pb.gz" {
		t.Fatalf("heap artifact = %+v, %v", heap, ok)
	}
	second, err := s.Save(ctx, Entry{Workload: deployment("api"), Target: "shop/api-2", TakenAt: t0.Add(time.Hour)}, files("h2", "g2"))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s.Latest(deployment("api"))
	if !ok || got.Target != "shop/api-2" {
		t.Fatalf("latest = %+v, %v; want the second", got, ok)
	}
	// The first baseline's artifacts are gone; the second's are there.
	want := []string{second.Artifacts[0].Key, second.Artifacts[1].Key}
	slices.Sort(want)
	if keys := objs.keys("baselines/"); !slices.Equal(keys, want) {
		t.Fatalf("stored %v, want %v", keys, want)
	}
	h, _ := second.Artifact("heap")
	data, err := s.Read(ctx, h.Key, 100)
	if err != nil || string(data) != "h2" {
		t.Fatalf("read = %q, %v", data, err)
	}
}

func TestStoreDropsOldestWorkloadPastMax(t *testing.T) {
	ctx := context.Background()
	objs := newObjects()
	s := New(objs, 2, nil)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, name := range []string{"a", "b", "c"} {
		if _, err := s.Save(ctx, Entry{Workload: deployment(name), TakenAt: t0.Add(time.Duration(i) * time.Minute)}, files("h", "g")); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.Latest(deployment("a")); ok {
		t.Fatal("the oldest workload's baseline is still kept past max")
	}
	for _, name := range []string{"b", "c"} {
		if _, ok := s.Latest(deployment(name)); !ok {
			t.Fatalf("workload %s lost its baseline", name)
		}
	}
	if keys := objs.keys("baselines/shop/Deployment/a/"); len(keys) != 0 {
		t.Fatalf("the dropped workload's artifacts remain: %v", keys)
	}
	if n := len(objs.keys("baselines/")); n != 4 {
		t.Fatalf("%d artifacts stored, want 4 (two workloads, two profiles)", n)
	}
}

func TestStoreLoadsIndexAfterRestart(t *testing.T) {
	ctx := context.Background()
	objs := newObjects()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := New(objs, 5, nil).Save(ctx, Entry{Workload: deployment("api"), Target: "shop/api-1", TakenAt: t0, Reason: "on schedule"}, files("h", "g")); err != nil {
		t.Fatal(err)
	}
	s := New(objs, 5, nil)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e, ok := s.Latest(deployment("api"))
	if !ok || !e.TakenAt.Equal(t0) || e.Reason != "on schedule" || len(e.Artifacts) != 2 {
		t.Fatalf("after a restart: %+v, %v", e, ok)
	}
	// A store without an index holds nothing, and that is no error.
	empty := New(newObjects(), 5, nil)
	if err := empty.Load(ctx); err != nil || len(empty.Entries()) != 0 {
		t.Fatalf("empty store: %v, %v", empty.Entries(), err)
	}
}

func TestStoreReadIsBounded(t *testing.T) {
	ctx := context.Background()
	objs := newObjects()
	objs.m["baselines/x"] = bytes.Repeat([]byte("x"), 1000)
	s := New(objs, 5, nil)
	if _, err := s.Read(ctx, "baselines/x", 999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("read past the bound: %v, want ErrTooLarge", err)
	}
	if b, err := s.Read(ctx, "baselines/x", 1000); err != nil || len(b) != 1000 {
		t.Fatalf("read at the bound: %d bytes, %v", len(b), err)
	}
	if _, err := s.Read(ctx, "baselines/none", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key: %v, want fs.ErrNotExist", err)
	}
}

// TestStoresSharingObjectsKeepEachOthersBaselines: two replicas' stores
// over one artifact store: each save reads the index first, so neither
// drops the other's baseline, and a newer baseline is never replaced by
// an older one.
func TestStoresSharingObjectsKeepEachOthersBaselines(t *testing.T) {
	ctx := context.Background()
	objs := newObjects()
	a, b := New(objs, 10, nil), New(objs, 10, nil)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := a.Save(ctx, Entry{Workload: deployment("api"), Target: "shop/api-1", TakenAt: t0.Add(time.Hour)}, files("h", "g")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Save(ctx, Entry{Workload: deployment("db"), TakenAt: t0}, files("h", "g")); err != nil {
		t.Fatal(err)
	}
	// b saves an older baseline of api than a's: a's stays.
	if _, err := b.Save(ctx, Entry{Workload: deployment("api"), Target: "shop/api-old", TakenAt: t0}, files("h", "g")); err != nil {
		t.Fatal(err)
	}
	c := New(objs, 10, nil)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Latest(deployment("api")); !ok || e.Target != "shop/api-1" {
		t.Fatalf("api's baseline = %+v, %v; want the newer one", e, ok)
	}
	if _, ok := c.Latest(deployment("db")); !ok {
		t.Fatal("db's baseline was lost")
	}
	if n := len(objs.keys("baselines/")); n != 4 {
		t.Fatalf("%d artifacts stored, want 4 (the older api baseline's removed)", n)
	}
}
