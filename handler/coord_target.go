package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// claimShared claims target t for an alert of kind across replicas, once
// this replica's book granted it: refused while another replica captures
// it, or within the cooldown of another replica's capture. A takeover
// waits for the claims of the replica it took over from, which expire
// with its Lease. When the claim cannot be read, the capture goes on.
func (h *Handler) claimShared(ctx context.Context, log *slog.Logger, j *job, t capture.Target, kind string) bool {
	if !h.coordinated() {
		return true
	}
	key := claimKey(t.Key(), kind)
	c, err := h.coord().Hold(ctx, capture.ClaimTarget, key, h.cfg.Cooldown)
	if wait := time.Until(c.Until); err == nil && c.Holder != "" && j.takeover && wait < 2*h.cfg.LeaseDuration {
		log.Info("waiting for the claim of the replica taken over from to expire", "target", t.Key(), "holder", c.Holder, "wait", wait.String())
		select {
		case <-time.After(wait + 100*time.Millisecond):
		case <-ctx.Done():
		}
		c, err = h.coord().Hold(ctx, capture.ClaimTarget, key, h.cfg.Cooldown)
	}
	switch {
	case err != nil:
		log.Warn("the target's Lease could not be taken; capturing it anyway", "target", t.Key(), "error", err)
		return true
	case c.Held:
		return true
	}
	h.book.release(t.Key(), holderOf(j.incident))
	if c.Holder != "" {
		h.coordm.lost.WithLabelValues(capture.ClaimTarget).Inc()
		h.book.forget(key, j.incident.ID) // a later notification tries again
		log.Info("target being captured by another replica; skipping", "target", t.Key(), "holder", c.Holder)
		return false
	}
	h.metrics.skipped.WithLabelValues("cooldown").Inc()
	log.Info("target captured recently by another replica; skipping", "target", t.Key(), "last_capture", c.Last)
	return false
}

// releaseShared ends the claim on a captured target across replicas,
// keeping when it was captured for the cooldown.
func (h *Handler) releaseShared(ctx context.Context, log *slog.Logger, it item, pr report.PodReport) {
	var at time.Time
	if pr.Problem == "" {
		for _, p := range pr.Profiles {
			if p.Error == "" {
				at = pr.CapturedAt
				break
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	key := claimKey(it.target.Key(), capture.KindOf(it.alert.Labels))
	if err := h.coord().Release(ctx, capture.ClaimTarget, key, at); err != nil {
		log.Warn("releasing the target's Lease failed; it expires on its own", "error", err)
	}
}

// claimAllShared claims targets for a capture on demand across replicas:
// every kind's claim of each target, without the cooldown, which a
// capture on demand neither obeys nor starts. When another replica
// captures one of them, it claims none and returns that target and the
// replica. It returns the claims it holds.
func (h *Handler) claimAllShared(ctx context.Context, targets []string) (held []string, busy, by string) {
	if !h.coordinated() {
		return nil, "", ""
	}
	for _, t := range targets {
		for _, kind := range capture.Kinds {
			key := claimKey(t, kind)
			c, err := h.coord().Hold(ctx, capture.ClaimTarget, key, 0)
			switch {
			case err != nil:
				h.log.Warn("the target's Lease could not be taken; capturing it on demand anyway", "target", t, "error", err)
			case c.Held:
				held = append(held, key)
			default:
				h.coordm.lost.WithLabelValues(capture.ClaimTarget).Inc()
				h.releaseAllShared(ctx, held)
				return nil, t, c.Holder
			}
		}
	}
	return held, "", ""
}

// releaseAllShared ends claims taken by claimAllShared, leaving each
// target's last capture as it was.
func (h *Handler) releaseAllShared(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, key := range keys {
		if err := h.coord().Release(ctx, capture.ClaimTarget, key, time.Time{}); err != nil {
			h.log.Warn("releasing a target's Lease failed; it expires on its own", "error", err)
		}
	}
}
