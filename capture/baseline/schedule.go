package baseline

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// Schedule decides when each workload's next healthy baseline is due: a
// delay after the last incident that fired on it resolves (AfterResolve),
// then every Interval, and never while an incident fires on it. Only
// workloads that had incidents are scheduled, at most Max of them (the
// least recently seen are forgotten first). A zero AfterResolve or
// Interval turns that path off.
type Schedule struct {
	afterResolve, interval time.Duration
	max                    int

	mu        sync.Mutex
	workloads map[string]*tracked
}

// tracked is one workload the schedule knows.
type tracked struct {
	w      capture.Workload
	firing map[string]bool // incidents firing on it
	due    time.Time       // zero: not due
	reason string
	seen   time.Time
}

// Due is a baseline to take now.
type Due struct {
	Workload capture.Workload
	// Reason says why: after which incident resolved, or on the schedule.
	Reason string
}

// NewSchedule returns a schedule; max <= 0 means DefaultMaxWorkloads.
func NewSchedule(afterResolve, interval time.Duration, max int) *Schedule {
	if max <= 0 {
		max = DefaultMaxWorkloads
	}
	return &Schedule{afterResolve: afterResolve, interval: interval, max: max, workloads: make(map[string]*tracked)}
}

// Enabled reports whether any baseline is ever taken.
func (s *Schedule) Enabled() bool { return s.afterResolve > 0 || s.interval > 0 }

// Firing records that incident fires on w (it resolved a target of w):
// w is not healthy until the incident resolves.
func (s *Schedule) Firing(incident string, w capture.Workload, now time.Time) {
	if !s.Enabled() || w.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.workloads[w.Key()]
	if t == nil {
		t = &tracked{w: w, firing: make(map[string]bool)}
		s.workloads[w.Key()] = t
	}
	t.firing[incident] = true
	t.seen = now
	s.forgetLocked()
}

// Resolved records that incident resolved: each workload it fired on,
// with no other incident firing, is due AfterResolve later (or, with that
// path off, Interval later).
func (s *Schedule) Resolved(incident string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.workloads {
		if !t.firing[incident] {
			continue
		}
		delete(t.firing, incident)
		t.seen = now
		if len(t.firing) > 0 {
			continue
		}
		switch {
		case s.afterResolve > 0:
			t.due, t.reason = now.Add(s.afterResolve), "after incident "+incident+" resolved"
		case s.interval > 0:
			t.due, t.reason = now.Add(s.interval), "on schedule"
		}
	}
}

// Take returns the workloads due at now that no incident fires on, and
// marks them as taken: the next is due Interval later (see Done). A
// workload due while an incident fires on it waits for that incident to
// resolve.
func (s *Schedule) Take(now time.Time) []Due {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Due
	for _, t := range s.workloads {
		if t.due.IsZero() || now.Before(t.due) {
			continue
		}
		if len(t.firing) > 0 {
			t.due = time.Time{} // Resolved sets it again
			continue
		}
		out = append(out, Due{Workload: t.w, Reason: t.reason})
		t.due = time.Time{}
	}
	slices.SortFunc(out, func(a, b Due) int { return strings.Compare(a.Workload.Key(), b.Workload.Key()) })
	return out
}

// Done records that w's baseline was taken (or failed) at now: the next
// is due Interval later, when the schedule is on.
func (s *Schedule) Done(w capture.Workload, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.workloads[w.Key()]
	if t == nil || s.interval <= 0 || !t.due.IsZero() {
		return
	}
	t.due, t.reason = now.Add(s.interval), "on schedule"
}

// Next is when the next baseline is due; zero when none is.
func (s *Schedule) Next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, t := range s.workloads {
		if !t.due.IsZero() && (next.IsZero() || t.due.Before(next)) {
			next = t.due
		}
	}
	return next
}

// forgetLocked forgets the least recently seen workloads on which no
// incident fires, past max.
func (s *Schedule) forgetLocked() {
	for len(s.workloads) > s.max {
		var oldest *tracked
		for _, t := range s.workloads {
			if len(t.firing) == 0 && (oldest == nil || t.seen.Before(oldest.seen)) {
				oldest = t
			}
		}
		if oldest == nil {
			return
		}
		delete(s.workloads, oldest.w.Key())
	}
}
