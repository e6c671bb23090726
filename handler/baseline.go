package handler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report"
)

// Baselines keeps the latest healthy capture of each workload (see
// baseline.Store). Latest returns a workload's; Save stores a new one
// (files by profile name) and returns it with its artifacts' keys; Read
// reads one of its artifacts back, at most max bytes.
type Baselines interface {
	Latest(w capture.Workload) (baseline.Entry, bool)
	Save(ctx context.Context, e baseline.Entry, files map[string]baseline.File) (baseline.Entry, error)
	Read(ctx context.Context, key string, max int64) ([]byte, error)
}

// BaselineConfig says when healthy baselines are taken: AfterResolve
// after the last incident on a workload resolves, then every Interval
// (zero turns a path off); Plan is what is captured (the instant heap and
// goroutine profiles); MaxWorkloads bounds the workloads scheduled.
type BaselineConfig struct {
	AfterResolve time.Duration
	Interval     time.Duration
	MaxWorkloads int
	Plan         []capture.Profile
}

// tick is how often the baseline loop looks for due workloads:
// a tenth of the shorter delay, between 100ms and 30s.
func (c BaselineConfig) tick() time.Duration {
	d := c.AfterResolve
	if d <= 0 || (c.Interval > 0 && c.Interval < d) {
		d = c.Interval
	}
	return min(max(d/10, 100*time.Millisecond), 30*time.Second)
}

// baselinesOn reports whether healthy baselines are kept and taken.
func (h *Handler) baselinesOn() bool {
	return h.deps.Baselines != nil && h.schedule.Enabled() && len(h.cfg.Baseline.Plan) > 0
}

// baselineFiring records that the incident fires on the workloads of its
// targets (captured or not), which are not healthy until it resolves.
func (h *Handler) baselineFiring(incident string, todo []item, notes []note) {
	if !h.baselinesOn() {
		return
	}
	now := h.deps.Now()
	for _, it := range todo {
		h.schedule.Firing(incident, capture.WorkloadOf(it.target), now)
	}
	for _, n := range notes {
		if n.err == nil && n.target.Skip == "" && n.target.Pod != "" {
			h.schedule.Firing(incident, capture.WorkloadOf(n.target), now)
		}
	}
}

// runBaselines takes the due baselines every tick until ctx ends.
func (h *Handler) runBaselines(ctx context.Context) {
	t := time.NewTicker(h.cfg.Baseline.tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, d := range h.schedule.Take(h.deps.Now()) {
			log := h.log.With("workload", d.Workload.String())
			if err := h.captureBaseline(ctx, log, d); err != nil {
				h.metrics.failures.WithLabelValues("baseline").Inc()
				log.Warn("healthy baseline not taken", "reason", d.Reason, "error", err)
			}
			h.schedule.Done(d.Workload, h.deps.Now())
		}
	}
}

// healthyFor is the healthy baseline of t's workload, read back for the
// analysis, or nil when it has none or it cannot be read (logged), and
// the function that gives back the memory its bytes hold. Each artifact
// is read within the analysis limits, and its bytes are admitted by the
// memory budget (when free now) while the analysis holds them.
func (h *Handler) healthyFor(ctx context.Context, log *slog.Logger, t capture.Target) (*report.Healthy, func()) {
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	if h.deps.Baselines == nil {
		return nil, release
	}
	w := capture.WorkloadOf(t)
	e, ok := h.deps.Baselines.Latest(w)
	if !ok {
		return nil, release
	}
	limit := h.cfg.Limits.MaxDecodedBytes
	if limit <= 0 {
		limit = format.DefaultMaxDecoded
	}
	hb := &report.Healthy{TakenAt: e.TakenAt, Target: e.Target, Reason: e.Reason}
	for _, a := range e.Artifacts {
		data, err := h.deps.Baselines.Read(ctx, a.Key, limit)
		if err != nil {
			level := slog.LevelWarn
			if errors.Is(err, context.Canceled) {
				level = slog.LevelInfo
			}
			log.Log(ctx, level, "reading the healthy baseline failed", "workload", w.String(), "key", a.Key, "error", err)
			continue
		}
		// Held while the pod's own artifacts wait for their share: a
		// baseline that does not fit now is left out rather than waited
		// for, so that no two analyses hold part and wait for the rest.
		r, ok := h.deps.Budget.TryReserve(int64(len(data)))
		if !ok {
			log.Warn("the healthy baseline does not fit the memory budget now; not compared", "workload", w.String(), "key", a.Key, "bytes", len(data))
			continue
		}
		releases = append(releases, r)
		hb.Artifacts = append(hb.Artifacts, report.HealthyArtifact{Name: a.Name, Key: a.Key, Link: h.deps.Store.Link(a.Key), Data: data})
	}
	if len(hb.Artifacts) == 0 {
		return nil, release
	}
	return hb, release
}
