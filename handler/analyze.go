package handler

import (
	"bytes"
	"log/slog"

	"github.com/google/pprof/profile"
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

// analyze summarizes one fetched profile: a pprof profile gets its top
// tables and headline, a goroutine dump its groups.
func (h *Handler) analyze(log *slog.Logger, res capture.Result, out *report.ProfileReport) error {
	var err error
	h.deps.Gate.Do(func() { err = h.analyzeNow(res, out) })
	return err
}

func (h *Handler) analyzeNow(res capture.Result, out *report.ProfileReport) error {
	if res.Profile.Trace() {
		t, err := report.SummarizeTrace(bytes.NewReader(res.Data), report.TraceOptions{Top: h.cfg.Top})
		if err != nil {
			return err
		}
		out.Trace = t
		return nil
	}
	if res.Profile.Text() && res.Profile.Endpoint == "heap" {
		ms, err := report.ParseMemStats(bytes.NewReader(res.Data))
		if err != nil {
			return err
		}
		out.MemStats = ms
		return nil
	}
	if res.Profile.Text() {
		g, err := report.ParseGoroutines(bytes.NewReader(res.Data))
		if err != nil {
			return err
		}
		out.Goroutines = g
		return nil
	}
	sum, err := report.Summarize(res.Parsed, report.Options{Top: h.cfg.Top})
	if err != nil {
		return err
	}
	out.Summary = &sum
	return nil
}

// addGrowth replaces the second heap snapshot's summary with what grew
// since the first, computed as `go tool pprof -base heap heap-2` would.
func (h *Handler) addGrowth(log *slog.Logger, pr *report.PodReport, parsed map[string]*profile.Profile) {
	first, second := parsed["heap"], parsed["heap-2"]
	if first == nil || second == nil {
		return
	}
	var diff report.Summary
	var err error
	h.deps.Gate.Do(func() { diff, err = report.Diff(first, second, report.Options{Top: h.cfg.Top}) })
	if err != nil {
		h.metrics.failures.WithLabelValues("summarize").Inc()
		log.Error("heap growth failed", "error", err)
		return
	}
	for i := range pr.Profiles {
		if pr.Profiles[i].Name == "heap-2" {
			pr.Profiles[i].Summary = &diff
		}
	}
}

// addMemory reconciles the runtime's memory statistics, when captured,
// with the container's bounds and restart context.
func addMemory(pr *report.PodReport) {
	for _, p := range pr.Profiles {
		if p.MemStats != nil {
			pr.Memory = report.Reconcile(*p.MemStats, pr.MemoryBounds, pr.Restart)
			return
		}
	}
}

// podHeadline is the pod's one sentence: the memory verdict when it
// explains an OOM kill, else from the execution trace when
// report.TraceLeads says so, else from the heap growth when there is one,
// else from the first profile of the plan that has a headline, else from
// the goroutine groups.
func podHeadline(pr report.PodReport) string {
	if pr.Memory.Explains() {
		return pr.Memory.Verdict
	}
	var sums []report.Summary
	var g *report.Goroutines
	for _, p := range pr.Profiles {
		if report.TraceLeads(pr.Kind, p.Trace) {
			return p.Trace.Headline
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && p.Summary.Diff {
			sums = append(sums, *p.Summary)
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && !p.Summary.Diff {
			sums = append(sums, *p.Summary)
		}
		if g == nil && p.Goroutines != nil {
			g = p.Goroutines
		}
	}
	return report.PodHeadline(sums, g)
}
