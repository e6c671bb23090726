package spool

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
)

// Remote is the object store a Store uploads to (an *s3.Store). Put
// stores data with its metadata under key; Get reads it back (a missing
// key wraps fs.ErrNotExist); Link says where a person finds it.
type Remote interface {
	Put(ctx context.Context, key string, data []byte, meta capture.Meta) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Link(key string) string
}

// Store puts artifacts in an object store through a local spool: every
// artifact is written to the spool first, then uploaded; when the upload
// fails (after the remote's own retries) the bytes stay in the spool, Put
// returns capture.ErrPending, and Run uploads them when the store is back.
type Store struct {
	remote  Remote
	spool   *Spool
	log     *slog.Logger
	metrics *storeMetrics
	wake    chan struct{}
	locks   [64]sync.Mutex // uploads of one key never overlap
	// down is set when an upload fails and cleared when one succeeds:
	// while it is set Put spools without trying the store, so a job is
	// not slowed by one round of retries per artifact during an outage.
	down atomic.Bool
	// refused holds the last error wrapping store.ErrPermanent (a missing
	// bucket, denied access), cleared when an upload succeeds.
	refused atomic.Pointer[error]
	// uploaded, when set, is told which spooled artifacts Drain uploaded.
	uploaded func(ctx context.Context, landed map[string]capture.Meta)
}

// NewStore combines remote and spool. Entries left by a previous process
// are uploaded by Run; dropped names the files Open could not load, which
// are logged and counted here.
func NewStore(remote Remote, spool *Spool, dropped []string, log *slog.Logger, reg prometheus.Registerer) *Store {
	s := &Store{remote: remote, spool: spool, log: log, metrics: newStoreMetrics(reg), wake: make(chan struct{}, 1)}
	for _, name := range dropped {
		s.metrics.dropped.WithLabelValues("corrupt").Inc()
		log.Error("spool entry dropped: incomplete or unreadable after a restart", "file", name)
	}
	s.updateGauges()
	if n := spool.Len(); n > 0 {
		log.Info("spool holds artifacts from a previous run; uploading them", "objects", n, "bytes", spool.Bytes())
	}
	return s
}

func (s *Store) updateGauges() {
	s.metrics.spoolBytes.Set(float64(s.spool.Bytes()))
	s.metrics.spoolObjects.Set(float64(s.spool.Len()))
}

func (s *Store) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// Put stores data and meta under key. nil: uploaded. An error wrapping
// capture.ErrPending: kept in the spool, upload pending. Any other error:
// the artifact is lost (the spool is full or unwritable and a direct
// upload failed too); that is logged and counted as a drop.
func (s *Store) Put(ctx context.Context, key string, data []byte, meta capture.Meta) error {
	e, err := s.spool.Add(key, data, meta)
	if err != nil {
		return s.putDirect(ctx, key, data, meta, err)
	}
	s.updateGauges()
	if s.down.Load() {
		s.metrics.uploads.WithLabelValues("pending").Inc()
		s.kick()
		return fmt.Errorf("put %s: %w: the object store was unreachable at the last attempt", key, capture.ErrPending)
	}
	if err := s.upload(ctx, e); err != nil {
		s.down.Store(true)
		s.metrics.uploads.WithLabelValues("pending").Inc()
		msg := "object store unreachable; artifact kept in the spool for a later upload"
		if errors.Is(err, store.ErrPermanent) {
			msg = "object store refuses uploads until this is fixed (see /readyz); artifact kept in the spool"
		}
		s.log.Warn(msg, "key", key, "spool_bytes", s.spool.Bytes(), "error", err)
		s.kick()
		return fmt.Errorf("put %s: %w: %w", key, capture.ErrPending, err)
	}
	s.metrics.uploads.WithLabelValues("ok").Inc()
	return nil
}

// putDirect uploads without the spool, when the spool refused the data.
func (s *Store) putDirect(ctx context.Context, key string, data []byte, meta capture.Meta, spoolErr error) error {
	reason := "full"
	if !errors.Is(spoolErr, ErrFull) {
		reason = "write"
	}
	err := s.remote.Put(ctx, key, data, meta)
	s.SetHealth(err)
	if err == nil {
		s.log.Warn("spool refused an artifact; uploaded it directly", "key", key, "reason", reason)
		s.metrics.uploads.WithLabelValues("ok").Inc()
		return nil
	}
	s.metrics.uploads.WithLabelValues("error").Inc()
	s.metrics.dropped.WithLabelValues(reason).Inc()
	s.log.Error("artifact dropped: the spool refused it and the object store is unreachable",
		"key", key, "reason", reason, "spool_bytes", s.spool.Bytes(), "error", err)
	return fmt.Errorf("put %s: spool: %w; upload: %w", key, spoolErr, err)
}

// upload sends e to the remote and removes it from the spool. An entry
// superseded by a newer one for the same key is dropped unsent, so an
// older incident.json never overwrites a newer one.
func (s *Store) upload(ctx context.Context, e *spoolEntry) error {
	defer s.lock(e.Key)()
	if !s.spool.isLatest(e) {
		s.spool.remove(e)
		s.updateGauges()
		return nil
	}
	data, err := s.spool.read(e)
	if err != nil {
		return fmt.Errorf("read spooled %s: %w", e.Key, err)
	}
	if err := s.remote.Put(ctx, e.Key, data, e.Meta); err != nil {
		if errors.Is(err, store.ErrPermanent) {
			s.SetHealth(err)
		}
		return err
	}
	s.down.Store(false)
	s.SetHealth(nil)
	s.spool.remove(e)
	s.updateGauges()
	return nil
}

func (s *Store) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Get returns key's bytes: from the spool while its upload is pending,
// else from the object store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if e := s.spool.latestFor(key); e != nil {
		if f, err := s.spool.open(e); err == nil {
			return f, nil
		} // uploaded and removed meanwhile: read it from the store
	}
	return s.remote.Get(ctx, key)
}

// Link is the remote's link; for a pending artifact it works once the
// upload completes.
func (s *Store) Link(key string) string { return s.remote.Link(key) }

// Pending is the number of artifacts waiting for upload.
func (s *Store) Pending() int { return s.spool.Len() }

// Drain uploads the spooled artifacts in the order they arrived, stopping
// at the first failure. It returns how many it uploaded.
func (s *Store) Drain(ctx context.Context) (int, error) {
	n := 0
	landed := make(map[string]capture.Meta)
	defer func() {
		if len(landed) > 0 && s.uploaded != nil {
			s.uploaded(ctx, landed)
		}
	}()
	for _, e := range s.spool.Pending() {
		if err := s.upload(ctx, e); err != nil {
			s.down.Store(true)
			s.metrics.uploads.WithLabelValues("error").Inc()
			return n, err
		}
		s.metrics.uploads.WithLabelValues("recovered").Inc()
		landed[e.Key] = e.Meta
		n++
	}
	return n, nil
}

// OnUploaded makes Drain tell fn, after each pass, which spooled
// artifacts it uploaded (key to metadata), so that records saying they
// were pending can be rewritten. Call it before Run.
func (s *Store) OnUploaded(fn func(ctx context.Context, landed map[string]capture.Meta)) {
	s.uploaded = fn
}

// Waiting reports whether key's upload is still pending in the spool.
func (s *Store) Waiting(key string) bool { return s.spool.latestFor(key) != nil }

// Health is nil while the object store may work, and otherwise the error
// (wrapping store.ErrPermanent) that says why it cannot: the bucket is
// missing, access is denied. Retrying does not heal such an error; an
// upload that succeeds, or SetHealth(nil) after a successful check, clears
// it.
func (s *Store) Health() error {
	if p := s.refused.Load(); p != nil {
		return *p
	}
	return nil
}

// SetHealth records err as the reason the object store cannot work (see
// Health) when it wraps store.ErrPermanent, and clears the reason when err
// is nil; other errors leave it as it is.
func (s *Store) SetHealth(err error) {
	switch {
	case err == nil:
		s.refused.Store(nil)
	case errors.Is(err, store.ErrPermanent):
		s.refused.Store(&err)
	}
}

// Run drains the spool until ctx ends: at once, whenever Put leaves
// something pending, and after a failure again with growing pauses (from
// retryMin up to retryMax) until the store is back.
func (s *Store) Run(ctx context.Context, retryMin, retryMax time.Duration) {
	wait := retryMin
	for {
		if s.spool.Len() > 0 {
			n, err := s.Drain(ctx)
			if n > 0 {
				s.log.Info("uploaded spooled artifacts", "objects", n, "left", s.spool.Len())
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("object store still unreachable; spooled artifacts wait",
					"objects", s.spool.Len(), "bytes", s.spool.Bytes(), "retry_in", wait.String(), "error", err)
				if !sleep(ctx, wait) {
					return
				}
				wait = min(wait*2, retryMax)
				continue
			}
		}
		wait = retryMin
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
