package exectrace

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"

	"github.com/alertprof/alertprof/report/internal/units"
)

// summary turns the accumulated time into the report.
func (a *traceAcc) summary(opt Options) *Summary {
	top := opt.Top
	if top <= 0 {
		top = 10
	}
	a.finish()
	s := &Summary{Events: a.events}
	if a.started {
		s.Window = a.last.Sub(a.first)
	}
	for cat, name := range states {
		s.Total += a.total[cat]
		s.States = append(s.States, State{State: name, Time: a.total[cat], Goroutines: a.gcount[cat]})
	}
	best := -1
	for i := range s.States {
		s.States[i].Pct = units.Percent(int64(s.States[i].Time), int64(s.Total))
		if s.States[i].Time > 0 && (best < 0 || s.States[i].Time > s.States[best].Time) {
			best = i
		}
	}
	s.Idle, s.IdleGoroutines = a.total[catIdle], a.gcount[catIdle]
	s.Unknown, s.UnknownGoroutines = a.total[catUnknown], a.gcount[catUnknown]
	s.Runtime, s.RuntimeGoroutines = a.total[catRuntime], a.gcount[catRuntime]
	s.Goroutines = a.counted
	s.Procs = len(a.procs)
	if s.Procs > 0 && s.Window > 0 {
		busy := a.total[catRunning] + a.total[catGCAssist]
		s.CPUBusy = 100 * float64(busy) / (float64(s.Window) * float64(s.Procs))
	}
	s.Network = a.topStacks(catNetwork, top, s.Total)
	s.Sync = a.topStacks(catSync, top, s.Total)
	if best >= 0 {
		st := s.States[best]
		s.Dominant = st.State
		s.Headline = fmt.Sprintf("%s %s of goroutine time", st.State, units.FormatPercent(st.Pct))
		var stacks []Stack
		switch best {
		case catNetwork:
			stacks = s.Network
		case catSync:
			stacks = s.Sync
		}
		if c, ok := a.topCaller(best); ok && stacks != nil {
			s.Culprit = c.caller
			s.Headline += fmt.Sprintf(", mostly in %s (%s, %s)", c.caller,
				units.Plural(len(c.gs), "goroutine"), units.FormatValue(int64(c.time), "nanoseconds"))
		}
	}
	return s
}

// topStacks lists the stacks of category cat, longest first.
func (a *traceAcc) topStacks(cat, top int, total time.Duration) []Stack {
	var out []Stack
	for _, st := range a.stacks {
		if st.time == 0 || st.cat != cat {
			continue
		}
		out = append(out, Stack{
			Caller: st.caller, Reason: st.reason, Frames: st.frames, Time: st.time,
			Pct: units.Percent(int64(st.time), int64(total)), Goroutines: len(st.gs),
		})
	}
	slices.SortFunc(out, func(x, y Stack) int {
		if c := cmp.Compare(y.Time, x.Time); c != 0 {
			return c
		}
		return cmp.Compare(strings.Join(x.Frames, "\n"), strings.Join(y.Frames, "\n"))
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}

type callerTime struct {
	caller string
	time   time.Duration
	gs     map[trace.GoID]struct{}
}

// topCaller is the caller with the most time in category cat, summed over
// its stacks, and the goroutines that spent it.
func (a *traceAcc) topCaller(cat int) (callerTime, bool) {
	by := make(map[string]*callerTime)
	for _, st := range a.stacks {
		if st.cat != cat || st.time == 0 {
			continue
		}
		c := by[st.caller]
		if c == nil {
			c = &callerTime{caller: st.caller, gs: make(map[trace.GoID]struct{})}
			by[st.caller] = c
		}
		c.time += st.time
		for g := range st.gs {
			c.gs[g] = struct{}{}
		}
	}
	var best *callerTime
	for _, c := range by {
		if best == nil || c.time > best.time || c.time == best.time && c.caller < best.caller {
			best = c
		}
	}
	if best == nil {
		return callerTime{}, false
	}
	return *best, true
}
