package handler

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
)

// baselineHolder names a healthy baseline's capture as the holder of its
// target's in-flight claim.
func baselineHolder(w capture.Workload) string { return "healthy baseline of " + w.String() }

// captureBaseline takes the healthy baseline of d's workload: it resolves
// the workload to one of its pods, claims it in flight (no two captures
// of one process at once), waits for the capture limits like any capture,
// captures the baseline plan and stores it. It does not count for the
// alert cooldown: a baseline is not evidence of an incident.
func (h *Handler) captureBaseline(ctx context.Context, log *slog.Logger, d baseline.Due) error {
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.JobTimeout, errJobTimeout)
	defer cancel()
	targets, err := h.deps.Resolver.Resolve(ctx, d.Workload.Labels())
	if err != nil {
		return fmt.Errorf("resolve %s: %w", d.Workload, err)
	}
	var t capture.Target
	for _, c := range targets {
		if c.Skip == "" && capture.WorkloadOf(c).Key() == d.Workload.Key() {
			t = c
			break
		}
	}
	if t.Pod == "" {
		return fmt.Errorf("no pod of %s can be captured now", d.Workload)
	}
	holder := baselineHolder(d.Workload)
	if busy, by, ok := h.book.claimAll([]string{t.Key()}, holder); !ok {
		return fmt.Errorf("%s is being captured by %s", busy, by)
	}
	defer h.book.release(t.Key(), holder)
	release, err := h.limiter.acquire(ctx, log)
	if err != nil {
		return err
	}
	defer release()
	files := make(map[string]baseline.File)
	for _, res := range h.deps.Capturer.Capture(ctx, t, h.cfg.Baseline.Plan) {
		if res.Err != nil {
			return fmt.Errorf("capture %s of %s: %w", res.Profile.Name, t.Key(), res.Err)
		}
		files[res.Profile.Name] = baseline.File{File: res.Profile.File(), Data: res.Data}
	}
	e, err := h.deps.Baselines.Save(ctx, baseline.Entry{Workload: d.Workload, Target: t.Key(), TakenAt: h.deps.Now(), Reason: d.Reason}, files)
	if err != nil {
		return err
	}
	h.metrics.jobs.WithLabelValues("baseline").Inc()
	log.Info("healthy baseline taken", "target", t.Key(), "reason", d.Reason, "artifacts", len(e.Artifacts))
	return nil
}
