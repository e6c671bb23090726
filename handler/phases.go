package handler

import (
	"cmp"
	"slices"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// phase is a part of a pod's plan fetched together, under one capture
// slot: a pod that only waits (for its heap growth window) holds none.
type phase struct {
	// at is the plan index of each profile, which keeps the report's
	// profiles in plan order whatever order they land in.
	at       []int
	profiles []capture.Profile // with Delay cleared: the phase waits for it
	after    time.Duration     // from the start of the pod's first phase
	// instant phases have no window: their results are analysed
	// together, once all have landed; a windowed phase's are analysed
	// one by one as they land.
	instant bool
	// waits: every profile of the phase is a delta (allocs, block,
	// mutex over a window), which the target serves by waiting out the
	// window between two snapshots of counters it keeps anyway. Like a
	// pod waiting for its heap growth window, such a phase holds no
	// capture slot.
	waits bool
}

// phases splits a plan into the order it is fetched in: the instant
// profiles first (goroutines, heap, memstats, …: they take a second and
// are the first evidence), then the windowed profiles that start at once
// (cpu, trace), then the snapshots that wait out a window (heap-2), by
// their delay. Empty phases are left out.
func phases(plan []capture.Profile) []phase {
	instant := phase{instant: true}
	var windowed phase
	var delayed []phase
	for i, p := range plan {
		switch {
		case p.Delay > 0:
			d := p.Delay
			p.Delay = 0
			j := slices.IndexFunc(delayed, func(ph phase) bool { return ph.after == d })
			if j < 0 {
				delayed = append(delayed, phase{after: d})
				j = len(delayed) - 1
			}
			delayed[j].at = append(delayed[j].at, i)
			delayed[j].profiles = append(delayed[j].profiles, p)
		case p.Seconds > 0:
			windowed.at = append(windowed.at, i)
			windowed.profiles = append(windowed.profiles, p)
		default:
			instant.at = append(instant.at, i)
			instant.profiles = append(instant.profiles, p)
		}
	}
	windowed.waits = len(windowed.profiles) > 0 && !slices.ContainsFunc(windowed.profiles, func(p capture.Profile) bool { return !p.Delta() })
	slices.SortStableFunc(delayed, func(a, b phase) int { return cmp.Compare(a.after, b.after) })
	var out []phase
	for _, ph := range append([]phase{instant, windowed}, delayed...) {
		if len(ph.profiles) > 0 {
			out = append(out, ph)
		}
	}
	return out
}

// windowOf is how a windowed profile is named while it is captured.
func windowOf(p capture.Profile) report.Window {
	secs := p.Seconds
	if p.Delay > 0 {
		secs = int(p.Delay.Round(time.Second) / time.Second)
	}
	return report.Window{Name: p.Name, Seconds: secs}
}
