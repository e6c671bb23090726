package handler

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// leaseTable is an in-memory stand-in for the Leases of several
// replicas; each replica sees it through a memLeases with its identity.
// Leases never expire on their own: expire ends the ones a replica holds,
// as its death would.
type leaseTable struct {
	mu     sync.Mutex
	leases map[string]*memLease
}

type memLease struct {
	holder, former string
	live           bool
	last           time.Time
}

func newLeaseTable() *leaseTable { return &leaseTable{leases: make(map[string]*memLease)} }

// expire ends every Lease id holds.
func (t *leaseTable) expire(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.leases {
		if l.holder == id {
			l.live = false
		}
	}
}

// liveTargets is the number of target claims held now.
func (t *leaseTable) liveTargets() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k, l := range t.leases {
		if kind, _, _ := cut(k); kind == capture.ClaimTarget && l.live {
			n++
		}
	}
	return n
}

type memLeases struct {
	t  *leaseTable
	id string
}

func (m memLeases) Hold(_ context.Context, kind, key string, cooldown time.Duration) (capture.Claim, error) {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	l := m.t.leases[kind+"/"+key]
	if l == nil {
		m.t.leases[kind+"/"+key] = &memLease{holder: m.id, live: true}
		return capture.Claim{Held: true}, nil
	}
	switch {
	case l.live && l.holder == m.id:
		return capture.Claim{Held: true}, nil
	case l.live:
		return capture.Claim{Holder: l.holder, Until: time.Now().Add(time.Hour)}, nil
	case !l.last.IsZero() && time.Since(l.last) < cooldown:
		return capture.Claim{Last: l.last}, nil
	}
	from := l.holder
	if from == "" {
		from = l.former
	}
	if from == m.id {
		from = ""
	}
	l.holder, l.live = m.id, true
	return capture.Claim{Held: true, From: from}, nil
}

func (m memLeases) Release(_ context.Context, kind, key string, captured time.Time) error {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	if l := m.t.leases[kind+"/"+key]; l != nil && l.live && l.holder == m.id {
		l.holder, l.former, l.live = "", m.id, false
		if !captured.IsZero() {
			l.last = captured
		}
	}
	return nil
}

func (m memLeases) Drop(_ context.Context, kind, key string) error {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	if l := m.t.leases[kind+"/"+key]; l != nil && (!l.live || l.holder == m.id) {
		delete(m.t.leases, kind+"/"+key)
	}
	return nil
}

func (m memLeases) Renew(context.Context) ([]string, error) { return nil, nil }

func (m memLeases) Orphans(context.Context) ([]string, error) {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	var out []string
	for k, l := range m.t.leases {
		if kind, key, _ := cut(k); kind == capture.ClaimIncident && !l.live {
			out = append(out, key)
		}
	}
	return out, nil
}

func cut(k string) (string, string, bool) {
	for i := range len(k) {
		if k[i] == '/' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

func (m memLeases) Clean(context.Context, time.Duration) (int, error) { return 0, nil }

func (m memLeases) Held() int {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	n := 0
	for _, l := range m.t.leases {
		if l.live && l.holder == m.id {
			n++
		}
	}
	return n
}

// verStore is a memStore that also writes conditionally, with a counter
// as each key's version.
type verStore struct {
	memStore
	vmu      sync.Mutex
	versions map[string]int
}

func (v *verStore) GetVersion(ctx context.Context, key string, _ int64) ([]byte, string, error) {
	v.vmu.Lock()
	defer v.vmu.Unlock()
	b := v.get(key)
	if b == nil {
		return nil, "", fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
	}
	return b, strconv.Itoa(v.versions[key]), nil
}

func (v *verStore) PutIf(ctx context.Context, key string, data []byte, meta capture.Meta, match string) (string, error) {
	v.vmu.Lock()
	defer v.vmu.Unlock()
	cur, exists := v.versions[key]
	if (match == "" && exists) || (match != "" && match != strconv.Itoa(cur)) {
		return "", fmt.Errorf("put %s: %w", key, capture.ErrConflict)
	}
	if v.versions == nil {
		v.versions = make(map[string]int)
	}
	v.versions[key] = cur + 1
	return strconv.Itoa(cur + 1), v.Put(ctx, key, data, meta)
}
