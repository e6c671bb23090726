package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// holdIncident takes or keeps the Lease of j's group for this replica
// before its job works on the incident. Refused, another replica works on
// it: the notification was acknowledged, and this replica leaves the
// incident to that one (false). When the Lease cannot be read, the job
// goes on: evidence is worth more than a duplicate.
func (h *Handler) holdIncident(ctx context.Context, log *slog.Logger, j job) (capture.Claim, bool) {
	if !h.coordinated() {
		return capture.Claim{Held: true}, true
	}
	c, err := h.coord().Hold(ctx, capture.ClaimIncident, j.incident.GroupKey, 0)
	if err != nil {
		log.Warn("the incident's Lease could not be taken; working on the incident anyway", "error", err)
		return capture.Claim{Held: true}, true
	}
	if c.Held {
		return c, true
	}
	h.coordm.lost.WithLabelValues(capture.ClaimIncident).Inc()
	log.Info("incident worked on by another replica; leaving it to that one", "holder", c.Holder, "resolved", j.resolved())
	h.handOver(ctx, log, j)
	if j.incident.ID != "" {
		h.book.unreserve(j.incident.ID, h.reservations(j))
		h.book.leave(j.incident.ID)
	}
	return c, false
}

// tookOver logs and counts the takeover of inc from the replica from.
func (h *Handler) tookOver(log *slog.Logger, inc report.Incident, from, how string, pending int) {
	h.coordm.takeovers.Inc()
	log.Info("took an incident over from another replica", "from", from, "by", how, "thread", !inc.Thread.IsZero(), "recapture", pending)
}

// dropIncident gives the group's Lease up for good: its incident closed.
func (h *Handler) dropIncident(ctx context.Context, log *slog.Logger, group string) {
	if !h.coordinated() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.coord().Drop(ctx, capture.ClaimIncident, group); err != nil {
		log.Warn("deleting the closed incident's Lease failed; the sweep deletes it later", "error", err)
	}
}
