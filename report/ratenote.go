package report

import (
	"strings"

	"github.com/alertprof/alertprof/report/pprof"
)

// Notes for empty contention profiles: the runtime records block and
// mutex events only once the program turns their rate on, so an empty
// profile most often means "off", not "no contention".
const (
	blockOffNote = "no samples: the block profile is empty unless the program turns it on; " +
		"call runtime.SetBlockProfileRate(rate) (e.g. 10000, one event per 10µs blocked) at start (or nothing blocked in the window)"
	mutexOffNote = "no samples: the mutex profile is empty unless the program turns it on; " +
		"call runtime.SetMutexProfileFraction(rate) (e.g. 5, one event in 5) at start (or no lock was contended in the window)"
	contentionOffNote = "no samples: block and mutex profiles are empty unless the program turns them on; " +
		"call runtime.SetBlockProfileRate(rate) or runtime.SetMutexProfileFraction(rate) at start (or nothing contended in the window)"
)

// addRateNotes notes, on each empty block or mutex profile of pr, that its
// rate is probably off and how to turn it on. An empty contention profile
// has no headline, so it never leads the pod's.
func addRateNotes(pr *PodReport) {
	for i := range pr.Profiles {
		p := &pr.Profiles[i]
		s := p.Summary
		if s == nil || s.Diff || s.Total != 0 || (s.Kind != pprof.KindBlock && s.Kind != pprof.KindMutex) {
			continue
		}
		// An empty mutex profile reads as block (no unlock to tell them
		// apart): the plan's name says which it is, and relabels it.
		var off string
		switch name := strings.ToLower(p.Name); {
		case strings.Contains(name, "mutex"):
			off = mutexOffNote
			s.Kind = pprof.KindMutex
			for i := range p.Views {
				if p.Views[i].Total == 0 {
					p.Views[i].Kind = pprof.KindMutex
				}
			}
		case strings.Contains(name, "block"):
			off = blockOffNote
		case s.Kind == pprof.KindMutex:
			off = mutexOffNote
		default:
			off = contentionOffNote
		}
		if p.Note != "" { // what the capture said of the window
			off = p.Note + "; " + off
		}
		p.Note = off
	}
}

// addWindows labels each cumulative profile of pr (allocs, block, mutex)
// with the time it covers, from its main summary.
func addWindows(pr *PodReport) {
	for i := range pr.Profiles {
		if p := &pr.Profiles[i]; p.Summary != nil {
			p.Window = p.Summary.Window()
		}
	}
}
