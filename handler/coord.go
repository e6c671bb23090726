package handler

import (
	"context"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// Coordinator shares the work between replicas of alertprof (in
// Kubernetes, through Leases). Kind is capture.ClaimIncident, whose key
// is an Alertmanager group key, or capture.ClaimTarget, whose key is a
// claimKey (target and alert kind).
type Coordinator interface {
	// Hold takes or keeps key for this replica: it is held when nobody
	// holds it, its holder let it expire or released it (Claim.From then
	// names that holder), or this replica holds it already. It is refused
	// while another replica holds it (Claim.Holder), and, for a target,
	// while its last capture is within cooldown (Claim.Last).
	Hold(ctx context.Context, kind, key string, cooldown time.Duration) (capture.Claim, error)
	// Release gives key up for another replica to take. A non-zero
	// captured records a target's capture, for the cooldown.
	Release(ctx context.Context, kind, key string, captured time.Time) error
	// Drop gives key up for good: the incident is closed.
	Drop(ctx context.Context, kind, key string) error
	// Renew keeps every held key; it returns the kinds of those lost to
	// another replica since.
	Renew(ctx context.Context) ([]string, error)
	// Orphans are the incident keys nobody holds: their holder is gone.
	Orphans(ctx context.Context) ([]string, error)
	// Clean forgets the targets released longer than cooldown ago.
	Clean(ctx context.Context, cooldown time.Duration) (int, error)
	// Held is the number of keys this replica holds.
	Held() int
}

// VersionedStore is a Store that writes conditionally, so that replicas
// sharing it cannot clobber each other's records. GetVersion reads a key
// (at most limit bytes) with its version (a missing key wraps
// fs.ErrNotExist); PutIf writes it only if its version is still match,
// or, with match "", only if it does not exist, and returns the new
// version; a failed condition wraps capture.ErrConflict.
type VersionedStore interface {
	GetVersion(ctx context.Context, key string, limit int64) ([]byte, string, error)
	PutIf(ctx context.Context, key string, data []byte, meta capture.Meta, match string) (string, error)
}

// solo is the Coordinator of a replica alone: it holds everything.
type solo struct{}

func (solo) Hold(context.Context, string, string, time.Duration) (capture.Claim, error) {
	return capture.Claim{Held: true}, nil
}
func (solo) Release(context.Context, string, string, time.Time) error { return nil }
func (solo) Drop(context.Context, string, string) error               { return nil }
func (solo) Renew(context.Context) ([]string, error)                  { return nil, nil }
func (solo) Orphans(context.Context) ([]string, error)                { return nil, nil }
func (solo) Clean(context.Context, time.Duration) (int, error)        { return 0, nil }
func (solo) Held() int                                                { return 0 }

// coordinated reports whether this replica shares its work.
func (h *Handler) coordinated() bool { return h.deps.Coordinator != nil }

// coord is the Coordinator: solo when alone.
func (h *Handler) coord() Coordinator {
	if c := h.deps.Coordinator; c != nil {
		return c
	}
	return solo{}
}
