package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alertprof/alertprof/report"
)

// notify delivers one event. Events of one incident are delivered one at a
// time, each with the thread the earlier ones opened.
func (h *Handler) notify(ctx context.Context, log *slog.Logger, ev report.Event) {
	defer h.book.lockNotify(ev.Incident.ID)()
	if th := h.book.thread(ev.Incident.ID); !th.IsZero() {
		ev.Incident.Thread = th
	}
	th, err := h.deps.Notifier.Notify(ctx, ev)
	if !th.IsZero() && ev.Incident.Thread.IsZero() {
		h.book.setThread(ev.Incident.ID, th)
		// Persist the thread at once: a restart from here on must reply in
		// it, not open a second one.
		h.saveGroupState(ctx, log, ev.Incident.ID)
	}
	if err != nil {
		h.metrics.failures.WithLabelValues("notify").Inc()
		log.Error("notification failed", "event", ev.Kind.String(), "error", err)
		what := ev.Kind.String()
		if ev.Pod != nil {
			what += " " + ev.Pod.Target
		}
		h.book.undelivered(ev.Incident.ID, fmt.Sprintf("%s at %s: %v", what, h.deps.Now().UTC().Format(time.RFC3339), err))
	}
}
