package handler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// sweeper runs the loops of a replica that shares its work: it renews
// the Leases held, and looks for incidents whose holder is gone.
type sweeper struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startCoordination starts the loops, with other replicas only.
func (h *Handler) startCoordination() {
	if !h.coordinated() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sweeper{cancel: cancel}
	h.sweep = s
	s.wg.Go(func() { every(ctx, h.cfg.LeaseDuration/3, h.renew) })
	s.wg.Go(func() { every(ctx, h.cfg.SweepInterval, h.sweepOnce) })
}

// stopCoordination stops the loops and releases the incidents this
// replica holds, for another to take over at once: after a drain, none
// has a job running.
func (h *Handler) stopCoordination() {
	if h.sweep == nil {
		return
	}
	h.sweep.cancel()
	h.sweep.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, g := range h.book.openGroups() {
		if err := h.coord().Release(ctx, capture.ClaimIncident, g, time.Time{}); err != nil {
			h.log.Warn("releasing an incident's Lease at shutdown failed; it expires on its own", "group_key", g, "error", err)
		}
	}
}

func every(ctx context.Context, d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// renew keeps the Leases held, and counts those another replica took.
func (h *Handler) renew(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.LeaseDuration/2)
	defer cancel()
	lost, err := h.coord().Renew(ctx)
	for _, kind := range lost {
		h.coordm.lost.WithLabelValues(kind).Inc()
		h.log.Warn("a Lease was taken over by another replica after it expired here", "kind", kind)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		h.log.Warn("renewing Leases failed", "error", err)
	}
}

// sweepOnce takes over the open incidents whose holder is gone (found by
// their Leases, read from the store), takes in the notifications other
// replicas handed over, deletes the Leases of closed incidents, and the
// target claims past their cooldown.
func (h *Handler) sweepOnce(ctx context.Context) {
	groups, err := h.coord().Orphans(ctx)
	if err != nil {
		h.log.Warn("looking for incidents whose holder is gone failed", "error", err)
	}
	for _, g := range groups {
		h.sweepGroup(ctx, g)
	}
	h.readInboxes(ctx)
	if _, err := h.coord().Clean(ctx, h.cfg.Cooldown); err != nil {
		h.log.Warn("deleting expired target claims failed", "error", err)
	}
}

func (h *Handler) sweepGroup(ctx context.Context, group string) {
	log := h.log.With("group_key", group)
	c, err := h.coord().Hold(ctx, capture.ClaimIncident, group, 0)
	if err != nil || !c.Held || h.book.hasGroup(group) {
		return // another replica was faster, or this one works on it
	}
	st := h.loadStored(ctx, log, group)
	if st == nil { // closed, or never recorded: nothing to continue
		h.dropIncident(ctx, log, group)
		return
	}
	j, ok := h.book.takeOverStored(st, h.deps.Now())
	if !ok {
		_ = h.coord().Release(ctx, capture.ClaimIncident, group, time.Time{})
		return
	}
	log = log.With("alertname", j.incident.AlertName, "incident", j.incident.ID)
	h.tookOver(log, j.incident, c.From, "sweep", len(j.alerts))
	if err := h.pool.enqueue(j); err != nil {
		// The incident stays this replica's: the next notification works on it.
		h.book.end(j.incident.ID)
		log.Warn("the taken-over incident's job could not be queued", "error", err)
	}
}
