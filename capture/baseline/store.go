package baseline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// IndexKey is where the index of the kept baselines is stored.
const IndexKey = "baselines/index.json"

// maxIndexBytes bounds the index read back from the store.
const maxIndexBytes = 4 << 20

// DefaultMaxWorkloads is how many workloads keep a baseline when New is
// given no bound.
const DefaultMaxWorkloads = 200

// Objects is the artifact store the baselines live in. Put stores data
// exactly; Get reads it back, a missing key wrapping fs.ErrNotExist.
type Objects interface {
	Put(ctx context.Context, key string, data []byte, meta capture.Meta) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Link(key string) string
}

// deleter is a store that can remove an object; baselines that are
// replaced or dropped are removed from a store that implements it (a
// missing object is no error).
type deleter interface {
	Delete(ctx context.Context, key string) error
}

// Artifact is one stored profile of a baseline.
type Artifact struct {
	// Name is the profile's name in the plan ("heap", "goroutine").
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Entry is a workload's healthy baseline.
type Entry struct {
	Workload capture.Workload `json:"workload"`
	// Target is the pod (or address) that was captured.
	Target  string    `json:"target"`
	TakenAt time.Time `json:"taken_at"`
	// Reason says why it was taken: after which incident resolved, or on
	// the schedule.
	Reason    string     `json:"reason,omitempty"`
	Artifacts []Artifact `json:"artifacts"`
}

// Artifact returns the entry's artifact named name.
func (e Entry) Artifact(name string) (Artifact, bool) {
	for _, a := range e.Artifacts {
		if a.Name == name {
			return a, true
		}
	}
	return Artifact{}, false
}

// index is the stored form of the kept baselines.
type index struct {
	Version   int     `json:"version"`
	Baselines []Entry `json:"baselines"`
}

// Store keeps the latest baseline of at most max workloads: saving a
// workload's new baseline replaces its old one, and past max the workload
// whose baseline is oldest is dropped. The index is kept in memory, read
// back before and written after every change, so that replicas sharing
// the store see each other's baselines (two saving at the same instant
// may each miss the other's entry until the next save).
type Store struct {
	objs Objects
	max  int
	log  *slog.Logger

	mu      sync.Mutex
	entries map[string]Entry // by Workload.Key()
}

// New returns a store of baselines in objs, for at most max workloads
// (<=0 means DefaultMaxWorkloads).
func New(objs Objects, max int, log *slog.Logger) *Store {
	if max <= 0 {
		max = DefaultMaxWorkloads
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{objs: objs, max: max, log: log, entries: make(map[string]Entry)}
}

// Load reads the index back from the store (after a restart); a store
// with no index holds no baselines.
func (s *Store) Load(ctx context.Context) error {
	data, err := s.Read(ctx, IndexKey, maxIndexBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load baselines: %w", err)
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return fmt.Errorf("load baselines: %s: %w", IndexKey, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range idx.Baselines {
		if e.Workload.IsZero() {
			continue
		}
		if old, ok := s.entries[e.Workload.Key()]; !ok || e.TakenAt.After(old.TakenAt) {
			s.entries[e.Workload.Key()] = e
		}
	}
	s.evictLocked()
	return nil
}

// Latest is w's baseline, if it has one.
func (s *Store) Latest(w capture.Workload) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[w.Key()]
	return e, ok
}

// Entries are the kept baselines, oldest first.
func (s *Store) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedLocked()
}

// Save stores a new baseline of e.Workload: each artifact's bytes (data,
// by artifact name) under baselines/<workload>/<time>/, then the index.
// It replaces the workload's previous baseline and drops the oldest
// workload's past the bound; their artifacts are removed when the store
// can. e.Artifacts is filled in.
func (s *Store) Save(ctx context.Context, e Entry, data map[string]File) (Entry, error) {
	if e.Workload.IsZero() {
		return Entry{}, errors.New("save baseline: no workload")
	}
	prefix := capture.BaselinePrefix(e.Workload, e.TakenAt)
	e.Artifacts = nil
	for _, name := range slices.Sorted(maps.Keys(data)) {
		f := data[name]
		key := prefix + "/" + f.File
		meta := capture.Meta{Incident: "baseline", Namespace: e.Workload.Namespace, Pod: e.Target, Profile: name}
		if err := s.objs.Put(ctx, key, f.Data, meta); err != nil && !errors.Is(err, capture.ErrPending) {
			return Entry{}, fmt.Errorf("save baseline of %s: %w", e.Workload, err)
		}
		e.Artifacts = append(e.Artifacts, Artifact{Name: name, Key: key})
	}
	if err := s.Load(ctx); err != nil {
		s.log.Warn("reading the baselines index before saving failed; writing it from memory", "error", err)
	}
	s.mu.Lock()
	var gone []Entry
	switch old, ok := s.entries[e.Workload.Key()]; {
	case !ok:
		s.entries[e.Workload.Key()] = e
	case old.TakenAt.Before(e.TakenAt):
		gone = append(gone, old)
		s.entries[e.Workload.Key()] = e
	default: // another replica saved a newer one meanwhile
		gone = append(gone, e)
	}
	gone = append(gone, s.evictLocked()...)
	idx := index{Version: 1, Baselines: s.sortedLocked()}
	s.mu.Unlock()
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return Entry{}, fmt.Errorf("save baselines index: %w", err)
	}
	if err := s.objs.Put(ctx, IndexKey, b, capture.Meta{Incident: "baseline", Profile: "index"}); err != nil && !errors.Is(err, capture.ErrPending) {
		return Entry{}, fmt.Errorf("save baselines index: %w", err)
	}
	s.remove(ctx, gone)
	return e, nil
}

// File is one artifact's bytes and its file name (heap.pb.gz,
// goroutines.txt).
type File struct {
	File string
	Data []byte
}

// remove deletes the artifacts of baselines no longer kept, when the store
// can delete.
func (s *Store) remove(ctx context.Context, gone []Entry) {
	d, ok := s.objs.(deleter)
	if !ok {
		return
	}
	for _, e := range gone {
		for _, a := range e.Artifacts {
			if err := d.Delete(ctx, a.Key); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.log.Warn("removing an old baseline failed", "key", a.Key, "error", err)
			}
		}
	}
}

// evictLocked drops the workloads whose baselines are the oldest until at
// most max remain, and returns them.
func (s *Store) evictLocked() []Entry {
	if len(s.entries) <= s.max {
		return nil
	}
	all := s.sortedLocked()
	gone := all[:len(all)-s.max]
	for _, e := range gone {
		delete(s.entries, e.Workload.Key())
	}
	return gone
}

// sortedLocked is the entries, oldest first (then by workload).
func (s *Store) sortedLocked() []Entry {
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.TakenAt.Compare(b.TakenAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Workload.Key(), b.Workload.Key())
	})
	return out
}

// ErrTooLarge is a stored object larger than the caller's bound.
var ErrTooLarge = errors.New("baseline artifact too large")

// Read reads the object stored under key, at most max bytes; a larger one
// is an error wrapping ErrTooLarge.
func (s *Store) Read(ctx context.Context, key string, max int64) ([]byte, error) {
	rc, err := s.objs.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read %s: %w (more than %d bytes)", key, ErrTooLarge, max)
	}
	return data, nil
}
