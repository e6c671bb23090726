package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// plans builds the capture plan of every alert kind: capture.profiles for
// the default kind, capture.plans where set, capture.DefaultPlans else.
func (c Config) plans() (map[string][]capture.Profile, error) {
	if c.Capture.HeapGrowthWindow <= 0 || c.Capture.HeapGrowthWindow > 10*time.Minute {
		return nil, fmt.Errorf("config: capture.heap_growth_window must be between 0 and 10m")
	}
	for kind := range c.Capture.Plans {
		if !slices.Contains(capture.Kinds, kind) {
			return nil, fmt.Errorf("config: capture.plans: unknown kind %q (known: %v)", kind, capture.Kinds)
		}
	}
	settings := c.settings()
	out := make(map[string][]capture.Profile, len(capture.Kinds))
	for _, kind := range capture.Kinds {
		names, ok := c.Capture.Plans[kind]
		switch {
		case ok:
		case kind == capture.KindDefault:
			names = c.Capture.Profiles
		default:
			names = capture.DefaultPlans[kind]
		}
		plan, err := capture.PlanFor(names, settings)
		if err != nil {
			return nil, fmt.Errorf("config: capture plan for %s alerts: %w", kind, err)
		}
		if len(plan) == 0 {
			return nil, fmt.Errorf("config: capture plan for %s alerts is empty", kind)
		}
		out[kind] = plan
	}
	return out, nil
}

// settings shape the profiles of every plan, on-demand ones included.
func (c Config) settings() capture.Settings {
	delta := c.Capture.DeltaSeconds
	switch delta {
	case 0: // the capture's window: the CPU profile's, on demand too
		delta = capture.DeltaCPU
	case -1: // since process start
		delta = 0
	}
	return capture.Settings{CPUSeconds: c.Capture.CPUSeconds, HeapGrowthWindow: c.Capture.HeapGrowthWindow,
		TraceSeconds: c.Capture.TraceSeconds, DeltaSeconds: delta}
}
