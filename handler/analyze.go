package handler

import (
	"errors"
	"log/slog"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// planFor picks the capture plan for an alert by its kind (memory,
// latency, restart, default).
func (h *Handler) planFor(a template.Alert) (string, []capture.Profile) {
	kind := capture.KindOf(a.Labels)
	if plan, ok := h.cfg.Plans[kind]; ok && len(plan) > 0 {
		return kind, plan
	}
	return kind, h.cfg.Plan
}

// analyze builds the pod's report from its fetched artifacts with the one
// analyser, each piece of the work inside the analysis gate.
func (h *Handler) analyze(log *slog.Logger, pr *report.PodReport, arts []report.Artifact) {
	for _, err := range report.Analyze(pr, arts, h.analysisOptions()) {
		h.metrics.failures.WithLabelValues("summarize").Inc()
		name := ""
		if pe, ok := errors.AsType[*report.ProfileError](err); ok {
			name = pe.Profile
		}
		log.Error("summarizing a profile failed", "profile", name, "error", err)
	}
}

// analysisOptions are the analyser's options for every job.
func (h *Handler) analysisOptions() report.Options {
	return report.Options{Top: h.cfg.Top, Gate: h.deps.Gate.Do}
}

// artifactOf hands a fetched profile to the analyser, with the format its
// plan asked for.
func artifactOf(res capture.Result) report.Artifact {
	return report.Artifact{Name: res.Profile.Name, Format: res.Profile.Format(), Data: res.Data, Parsed: res.Parsed}
}
