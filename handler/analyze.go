package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
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

// Limits bound what the analysis reads of each artifact; zero values take
// the format package's defaults.
type Limits struct {
	MaxDecodedBytes int64 // a pprof profile once decompressed
	Text            format.TextLimits
}

// analyze builds the pod's report from its fetched artifacts with the one
// analyser, each piece of the work inside the analysis gate and admitted
// by the memory budget. healthy, when set, is the pod's workload's healthy
// baseline to compare with. Only the failures of the profiles that tell
// names are logged and counted: a pod's report is made again as its
// windowed profiles land, and each failure is told once.
func (h *Handler) analyze(ctx context.Context, log *slog.Logger, pr *report.PodReport, arts []report.Artifact, healthy *report.Healthy, tell func(profile string) bool) {
	opts := h.analysisOptions()
	opts.Healthy = healthy
	for _, err := range report.Analyze(ctx, pr, arts, opts) {
		name := ""
		if pe, ok := errors.AsType[*report.ProfileError](err); ok {
			name = pe.Profile
		}
		if !tell(name) {
			continue
		}
		h.metrics.failures.WithLabelValues("summarize").Inc()
		log.Error("summarizing a profile failed", "profile", name, "error", err)
	}
}

// analysisOptions are the analyser's options for every job.
func (h *Handler) analysisOptions() report.Options {
	opts := report.Options{Top: h.cfg.Top, Gate: h.deps.Gate.Do, MaxDecoded: h.cfg.Limits.MaxDecodedBytes, Text: h.cfg.Limits.Text}
	if h.deps.Budget != nil {
		opts.Budget = h.deps.Budget
	}
	return opts
}

// artifactOf hands a fetched profile to the analyser, with the format its
// plan asked for.
func artifactOf(res capture.Result) report.Artifact {
	return report.Artifact{Name: res.Profile.Name, Format: res.Profile.Format(), Data: res.Data, Parsed: res.Parsed}
}
