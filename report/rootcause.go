package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
	"github.com/alertprof/alertprof/report/pprof"
)

// Thresholds of the root-cause headlines.
const (
	// leakMin is the fewest goroutines in one blocked group that reads as
	// a leak, and leakShare the share of all goroutines it must hold.
	leakMin   = 500
	leakShare = 50.0
)

// contention names the lock holder when a mutex profile shows one: "lock
// held by X (N% of mutex delay), M goroutines waiting in sync.Mutex.Lock
// at Y". The holder is the cause; the goroutines queued behind it, which
// the trace and the goroutine dump show first, are the symptom. It is ""
// when no mutex profile names a user function as the holder. A block
// profile cannot name one: its stacks are the waiters'.
func contention(pr PodReport) string {
	sum := holder(pr)
	if sum == nil {
		return ""
	}
	h := sum.Headline
	s := fmt.Sprintf("lock held by %s (%s of %s mutex delay)", h.Culprit(), units.FormatPercent(h.Pct), units.FormatValue(sum.Total, sum.Unit))
	if n, state, at := lockWaiters(pr); n > 0 {
		s += fmt.Sprintf(", %d goroutines waiting in %s at %s", n, state, at)
	}
	return s
}

// contentionLeads reports whether the lock holder leads the headline:
// when goroutines are seen waiting for a lock, or, with neither a
// goroutine dump nor a trace to see them, when the alert is about latency.
func contentionLeads(pr PodReport) bool {
	if n, _, _ := lockWaiters(pr); n > 0 {
		return true
	}
	for _, p := range pr.Profiles {
		if p.Goroutines != nil || p.Trace != nil {
			return false
		}
	}
	return pr.Kind == capture.KindLatency
}

// holder is the pod's first mutex delay summary whose delay is blamed on
// a user function: the one that unlocked, which held the lock while the
// others waited.
func holder(pr PodReport) *pprof.Summary {
	for _, p := range pr.Profiles {
		for _, s := range append([]*pprof.Summary{p.Summary}, viewPtrs(p.Views)...) {
			if s == nil || s.Kind != pprof.KindMutex || s.Diff || s.Headline == nil || s.Unit == "count" {
				continue
			}
			if funcname.IsUser(s.Headline.Culprit()) {
				return s
			}
		}
	}
	return nil
}

func viewPtrs(vs []pprof.Summary) []*pprof.Summary {
	out := make([]*pprof.Summary, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// lockFrames are the functions a goroutine waiting for a lock is in.
var lockFrames = []string{"sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock"}

// lockWaiters counts the goroutines waiting for a lock, from the first
// goroutine dump, else the trace's sync waits: how many, in what (the
// dump's state, or the lock function) and the user function of the
// largest group of them.
func lockWaiters(pr PodReport) (n int, state, at string) {
	for _, p := range pr.Profiles {
		if p.Goroutines == nil {
			continue
		}
		best := 0
		for _, g := range p.Goroutines.Groups {
			if lf := lockFrame(g.Stack); lf != "" {
				n += g.Count
				if g.Count > best {
					best, state, at = g.Count, g.State, g.Top
					if !strings.Contains(state, "Lock") {
						state = lf
					}
				}
			}
		}
		return n, state, at
	}
	for _, p := range pr.Profiles {
		if p.Trace == nil {
			continue
		}
		best := 0
		for _, s := range p.Trace.Sync {
			if lf := lockFrame(s.Frames); lf != "" {
				n += s.Goroutines
				if s.Goroutines > best {
					best, state, at = s.Goroutines, lf, s.Caller
				}
			}
		}
		return n, state, at
	}
	return 0, "", ""
}

// lockFrame is the lock function on stack, or "", named as the runtime
// names the wait ("sync.Mutex.Lock").
func lockFrame(stack []string) string {
	for _, f := range stack {
		if slices.Contains(lockFrames, f) {
			return strings.NewReplacer("(*", "", ")", "").Replace(f)
		}
	}
	return ""
}

// leakGroup is the first goroutine dump's largest group when it is a
// leak: at least leakMin goroutines, blocked, most of the dump.
func leakGroup(pr PodReport) (goroutines.Group, int, bool) {
	for _, p := range pr.Profiles {
		d := p.Goroutines
		if d == nil || len(d.Groups) == 0 {
			continue
		}
		g := d.Groups[0]
		ok := g.Count >= leakMin && units.Percent(int64(g.Count), int64(d.Total)) >= leakShare && blocked(g)
		return g, d.Total, ok
	}
	return goroutines.Group{}, 0, false
}

// leak names a goroutine leak (see leakGroup) when the heap did not
// grow, or grew by the leak: under the runtime (goroutine descriptors),
// or under a function of the leaked goroutines' stacks or their creator
// (what they hold while blocked). It is "" otherwise.
func leak(pr PodReport) string {
	g, total, ok := leakGroup(pr)
	if !ok {
		return ""
	}
	if h := growth(pr); h != nil && !h.NewGoroutines && funcname.IsUser(h.Culprit()) &&
		!slices.Contains(g.Stack, h.Culprit()) && h.Culprit() != g.CreatedBy {
		return ""
	}
	s := fmt.Sprintf("goroutine leak: %d of %d goroutines blocked in %s at %s", g.Count, total, g.Wait(), g.Top)
	if g.CreatedBy != "" && g.CreatedBy != g.Top {
		s += ", created by " + g.CreatedBy
	}
	return s
}

// blocked reports whether a group's goroutines are parked, not running.
func blocked(g goroutines.Group) bool {
	switch g.State {
	case "running", "runnable", "syscall", "":
		return false
	}
	return true
}

// growth is the headline of the heap's growth, nil when it did not grow.
func growth(pr PodReport) *pprof.Headline {
	for _, p := range pr.Profiles {
		if p.Summary != nil && p.Summary.Grew() {
			return p.Summary.Headline
		}
	}
	return nil
}
