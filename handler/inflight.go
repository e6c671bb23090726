package handler

import "sync"

// inflight tracks the targets being captured right now, by the incident
// (or on-demand capture) capturing them, so that a request on demand is
// not run against a pod whose capture is still under way.
type inflight struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	n  int
	by string // the first holder, for the refusal message
}

func newInflight() *inflight { return &inflight{m: make(map[string]*flight)} }

// add marks key in flight for by and returns the function that unmarks it.
func (f *inflight) add(key, by string) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lockedAdd(key, by)
	return func() { f.remove(key) }
}

func (f *inflight) lockedAdd(key, by string) {
	if cur, ok := f.m[key]; ok {
		cur.n++
		return
	}
	f.m[key] = &flight{n: 1, by: by}
}

func (f *inflight) remove(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.m[key]; ok {
		if cur.n--; cur.n == 0 {
			delete(f.m, key)
		}
	}
}

// claimAll marks every key in flight for by, unless one already is: then
// it marks none and returns that key and its holder.
func (f *inflight) claimAll(keys []string, by string) (busy, holder string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		if cur, found := f.m[k]; found {
			return k, cur.by, false
		}
	}
	for _, k := range keys {
		f.lockedAdd(k, by)
	}
	return "", "", true
}
