// Package demotarget is a small Go service with real problems, for the
// demo and the end-to-end tests: a cache that never evicts, goroutines
// that wait forever for updates nobody sends, and a busy report renderer.
// It serves net/http/pprof like any instrumented service.
package demotarget

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"time"
)

// Limits keep the demo process from hurting the machine it runs on.
const (
	entryBytes     = 64 << 10
	maxCacheBytes  = 1 << 30
	maxSubscribers = 50_000
)

// Serve runs the misbehaving service on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	cache := &sessionCache{entries: make(map[string][]byte)}
	updates := &updateHub{}
	var wg sync.WaitGroup
	wg.Go(func() { cacheSessions(ctx, cache) })
	wg.Go(func() { subscribeClients(ctx, updates) })
	wg.Go(func() { renderReports(ctx) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// sessionCache is the memory leak: it remembers every session and never
// forgets one.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string][]byte
	size    int
}

func (c *sessionCache) remember(id string) {
	payload := make([]byte, entryBytes)
	for i := 0; i < len(payload); i += 512 {
		payload[i] = byte(i)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+len(payload) > maxCacheBytes {
		return
	}
	c.entries[id] = payload
	c.size += len(payload)
}

func cacheSessions(ctx context.Context, c *sessionCache) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.remember("session-" + strconv.Itoa(n))
		}
	}
}

// updateHub is the goroutine leak: each subscriber waits for an update
// that is never published, and nobody unsubscribes.
type updateHub struct {
	mu   sync.Mutex
	subs []chan []byte
}

func (h *updateHub) subscribe(ctx context.Context) {
	ch := make(chan []byte)
	h.mu.Lock()
	h.subs = append(h.subs, ch)
	h.mu.Unlock()
	go waitForUpdate(ctx, ch)
}

func waitForUpdate(ctx context.Context, ch <-chan []byte) {
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func subscribeClients(ctx context.Context, h *updateHub) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for n := 0; n < maxSubscribers; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.subscribe(ctx)
		}
	}
}

// renderReports keeps a core half busy hashing, so the CPU profile shows
// where the time goes.
func renderReports(ctx context.Context) {
	buf := make([]byte, 32<<10)
	for {
		deadline := time.Now().Add(20 * time.Millisecond)
		for time.Now().Before(deadline) {
			sum := sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
