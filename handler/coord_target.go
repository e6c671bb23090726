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
