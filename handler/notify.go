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
	h.send(ctx, log, ev)
}

// send delivers one event as notify does; a pod's report goes to a
// replier as the pod's reply, whose ID send returns.
func (h *Handler) send(ctx context.Context, log *slog.Logger, ev report.Event) (reply string) {
	defer h.book.lockNotify(ev.Incident.ID)()
	if th := h.book.thread(ev.Incident.ID); !th.IsZero() {
		ev.Incident.Thread = th
	}
	var th report.Thread
	var err error
	if r, ok := h.deps.Notifier.(replier); ok && ev.Pod != nil && (ev.Kind == report.Captured || ev.Kind == report.Progress) {
		th, reply, err = r.Reply(ctx, ev)
	} else {
		th, err = h.deps.Notifier.Notify(ctx, ev)
	}
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
	return reply
}
