package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// addFlame draws the flame graph of the pod's leading profile and stores
// it beside the profile (<profile>.flame.png), for the text report to
// link and the notifier to show. A picture that cannot be drawn is only
// logged: the report goes out without it; one that cannot be stored is
// still shown.
func (h *Handler) addFlame(ctx context.Context, log *slog.Logger, j job, t capture.Target, pr *report.PodReport, arts []report.Artifact) {
	fg, err := report.RenderFlame(ctx, *pr, arts, h.analysisOptions())
	if err != nil {
		h.metrics.failures.WithLabelValues("summarize").Inc()
		log.Warn("drawing the flame graph failed", "error", err)
		return
	}
	if fg == nil {
		return
	}
	key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, fg.Profile+".flame.png")
	err = h.deps.Store.Put(ctx, key, fg.PNG, artifactMeta(j, t, "flame"))
	switch {
	case err == nil:
		fg.Key, fg.Link = key, h.deps.Store.Link(key)
	case errors.Is(err, capture.ErrPending): // the store logged it and uploads it later
		fg.Key, fg.Link, fg.Pending = key, h.deps.Store.Link(key), true
	default:
		h.metrics.failures.WithLabelValues("store").Inc()
		log.Error("storing the flame graph failed", "key", key, "error", err)
	}
	pr.Flame = fg
}
