package webui

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// openProfiles holds the pprof handlers of the profiles opened most
// recently, at most size of them. The first request for a key opens it;
// concurrent requests for that key wait for the same open. Only a
// successful open enters the LRU, so a bad link evicts nothing.
type openProfiles struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *openProfile]
	inflight map[string]*openProfile
	load     func(key string) (map[string]http.Handler, error)
	opens    int // profiles opened so far, for tests and logs
}

// openProfile is one profile being opened or open. done closes when
// handlers or err is set; neither changes afterwards.
type openProfile struct {
	done     chan struct{}
	handlers map[string]http.Handler
	err      error
}

func newOpenProfiles(size int, load func(string) (map[string]http.Handler, error)) (*openProfiles, error) {
	l, err := simplelru.NewLRU[string, *openProfile](size, nil)
	if err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	return &openProfiles{lru: l, inflight: make(map[string]*openProfile), load: load}, nil
}

// get returns the handlers of key's profile, opening it if it is not
// open. A failed open is not kept: the next request tries again.
func (o *openProfiles) get(ctx context.Context, key string) (map[string]http.Handler, error) {
	o.mu.Lock()
	p, ok := o.lru.Get(key)
	if !ok {
		p, ok = o.inflight[key]
	}
	if !ok {
		p = &openProfile{done: make(chan struct{})}
		o.inflight[key] = p
		o.opens++
	}
	o.mu.Unlock()
	if !ok {
		// Opened on its own goroutine so that a client hanging up does not
		// fail the open for the others waiting on it.
		go o.fill(key, p)
	}
	select {
	case <-p.done:
		return p.handlers, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o *openProfiles) fill(key string, p *openProfile) {
	p.handlers, p.err = o.load(key)
	o.mu.Lock()
	delete(o.inflight, key)
	if p.err == nil {
		o.lru.Add(key, p)
	}
	o.mu.Unlock()
	close(p.done)
}

// stats returns how many profiles are open and how many opens ran.
func (o *openProfiles) stats() (open, opens int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lru.Len(), o.opens
}
