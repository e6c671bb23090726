package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
	"github.com/alertprof/alertprof/handler"
)

// BaselineConfig says when the healthy baseline of a workload that had an
// incident is taken: a delay after its incident resolves, then on a slow
// schedule; incidents are compared with the latest one.
type BaselineConfig struct {
	// AfterResolve is how long after the last incident on a workload
	// resolves its baseline is taken; 0 turns it off.
	AfterResolve time.Duration `yaml:"after_resolve"`
	// Interval retakes the baseline of workloads that had incidents this
	// often; 0 (the default) turns it off.
	Interval time.Duration `yaml:"interval"`
	// MaxWorkloads bounds the workloads that keep a baseline (one each);
	// past it the oldest baseline is dropped.
	MaxWorkloads int `yaml:"max_workloads"`
	// Profiles are what a baseline captures: instant profiles only.
	Profiles []string `yaml:"profiles"`
}

// baselineProfiles are the profiles a baseline may capture: the instant
// ones an incident's are compared with.
var baselineProfiles = []string{"heap", "goroutine", "goroutines"}

// Bounds of the baseline settings.
const (
	minBaselineDelay    = time.Second
	minBaselineInterval = time.Minute
	maxBaselineWorkload = 10000
)

func defaultBaselineConfig() BaselineConfig {
	return BaselineConfig{AfterResolve: 10 * time.Minute, MaxWorkloads: baseline.DefaultMaxWorkloads, Profiles: []string{"heap", "goroutine"}}
}

// validate checks report.baseline.
func (c BaselineConfig) validate() error {
	switch {
	case c.AfterResolve < 0 || (c.AfterResolve > 0 && c.AfterResolve < minBaselineDelay):
		return fmt.Errorf("config: report.baseline.after_resolve must be 0 (off) or at least %s (got %s)", minBaselineDelay, c.AfterResolve)
	case c.Interval < 0 || (c.Interval > 0 && c.Interval < minBaselineInterval):
		return fmt.Errorf("config: report.baseline.interval must be 0 (off) or at least %s (got %s): it is a slow schedule", minBaselineInterval, c.Interval)
	case c.MaxWorkloads < 1 || c.MaxWorkloads > maxBaselineWorkload:
		return fmt.Errorf("config: report.baseline.max_workloads must be between 1 and %d", maxBaselineWorkload)
	case len(c.Profiles) == 0:
		return fmt.Errorf("config: report.baseline.profiles is empty (known: %v)", baselineProfiles)
	}
	for _, p := range c.Profiles {
		if !slices.Contains(baselineProfiles, p) {
			return fmt.Errorf("config: report.baseline.profiles: %q is not one of %v (a baseline takes instant profiles only)", p, baselineProfiles)
		}
	}
	if _, err := capture.Plan(c.Profiles, 1); err != nil {
		return fmt.Errorf("config: report.baseline.profiles: %w", err)
	}
	return nil
}

// handlerConfig is the handler's form of the baseline settings.
func (c BaselineConfig) handlerConfig() (handler.BaselineConfig, error) {
	plan, err := capture.Plan(c.Profiles, 1)
	if err != nil {
		return handler.BaselineConfig{}, fmt.Errorf("config: report.baseline.profiles: %w", err)
	}
	return handler.BaselineConfig{AfterResolve: c.AfterResolve, Interval: c.Interval, MaxWorkloads: c.MaxWorkloads, Plan: plan}, nil
}

// baselineLoadTimeout bounds reading the baselines' index at start.
const baselineLoadTimeout = 30 * time.Second

// newBaselines is the store of healthy baselines in the artifact store,
// with the index read back; an index that cannot be read is logged and
// the baselines start empty.
func newBaselines(cfg Config, st builtStore, log *slog.Logger) *baseline.Store {
	b := baseline.New(st.store, cfg.Report.Baseline.MaxWorkloads, log)
	ctx, cancel := context.WithTimeout(context.Background(), baselineLoadTimeout)
	defer cancel()
	if err := b.Load(ctx); err != nil {
		log.Warn("healthy baselines not loaded; they start empty", "error", err)
	}
	return b
}
