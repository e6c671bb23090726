package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// capturePod fetches, stores and summarizes every profile of the plan for
// one target.
func (h *Handler) capturePod(ctx context.Context, log *slog.Logger, j job, a template.Alert, t capture.Target) report.PodReport {
	kind, plan := h.planFor(a)
	if j.plan != nil {
		plan = j.plan
	}
	pr := report.PodReport{Target: t.Key(), Address: t.Address, Name: podName(t), AlertName: alertName(a),
		Annotations: podAnnotations(a), Kind: kind, CapturedAt: h.deps.Now(), Restart: t.Restart, MemoryBounds: t.Memory, Owner: t.Owner}
	var arts []report.Artifact
	for _, res := range h.deps.Capturer.Capture(ctx, t, plan) {
		pr.Profiles = append(pr.Profiles, h.handleResult(ctx, log, j, t, res))
		if res.Err == nil {
			arts = append(arts, artifactOf(res))
		}
	}
	h.analyze(ctx, log, &pr, arts)
	h.addFlame(ctx, log, j, t, &pr, arts)
	var buf bytes.Buffer
	if err := report.WritePod(&buf, pr); err == nil {
		key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, "summary.txt")
		err := h.deps.Store.Put(ctx, key, buf.Bytes(), artifactMeta(j, t, "summary"))
		switch {
		case err == nil, errors.Is(err, capture.ErrPending): // pending: the store logged it and uploads it later
			pr.SummaryKey = key
		default:
			h.metrics.failures.WithLabelValues("store").Inc()
			log.Error("storing the summary failed", "key", key, "error", err)
		}
	}
	return pr
}

func (h *Handler) handleResult(ctx context.Context, log *slog.Logger, j job, t capture.Target, res capture.Result) report.ProfileReport {
	name := res.Profile.Name
	h.metrics.captureDuration.WithLabelValues(name).Observe(res.Duration.Seconds())
	out := report.ProfileReport{Name: name, Duration: res.Duration}
	if res.Err != nil {
		reason := capture.ReasonConnect
		var fe *capture.FetchError
		if errors.As(res.Err, &fe) {
			reason = fe.Reason
		}
		h.metrics.captures.WithLabelValues(name, reason).Inc()
		log.Warn("profile fetch failed", "profile", name, "reason", reason, "error", res.Err)
		out.Error = res.Err.Error()
		return out
	}
	h.metrics.captures.WithLabelValues(name, "ok").Inc()
	out.Bytes = len(res.Data)

	key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, res.Profile.File())
	err := h.deps.Store.Put(ctx, key, res.Data, artifactMeta(j, t, name))
	switch {
	case err == nil:
		out.Key, out.Link = key, h.deps.Store.Link(key)
	case errors.Is(err, capture.ErrPending):
		// Kept in the store's spool (which logged why); the report still
		// goes out, saying the upload is pending.
		out.Key, out.Link, out.Pending = key, h.deps.Store.Link(key), true
	default:
		h.metrics.failures.WithLabelValues("store").Inc()
		log.Error("storing a profile failed", "profile", name, "key", key, "error", err)
		out.Error = fmt.Sprintf("captured but not stored: %v", err)
	}
	if out.Key != "" && h.deps.UI != nil {
		out.UILink = h.deps.UI.Link(out.Key) // "" for text artifacts
	}
	return out
}

// artifactMeta is the object metadata of one artifact of target t.
func artifactMeta(j job, t capture.Target, profile string) capture.Meta {
	return capture.Meta{Incident: j.incident.ID, Namespace: t.Namespace, Pod: t.Pod, Profile: profile, AlertName: j.incident.AlertName}
}
