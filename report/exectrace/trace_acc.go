package exectrace

import (
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// maxTraceFrames bounds the frames kept per stack; deeper frames are
// dropped, as they rarely tell stacks apart.
const maxTraceFrames = 32

// maxTraceProcs bounds the Ps counted; no machine has more.
const maxTraceProcs = 1 << 16

// traceAcc accumulates goroutine time while a trace streams by.
type traceAcc struct {
	events      int
	started     bool
	first, last trace.Time

	gs map[trace.GoID]*goTime
	// stacks holds the blocking stacks by their frames; byStack caches
	// the current generation's stack IDs, and is cleared at each sync so
	// that old generations' tables can be freed.
	stacks  map[string]*traceStackAcc
	byStack map[trace.Stack]*stackInfo

	procs map[trace.ProcID]struct{}

	total   [numCats]time.Duration
	gcount  [numCats]int
	counted int
}

// goTime is one goroutine's state and the time it has spent so far.
type goTime struct {
	id     trace.GoID
	state  trace.GoState
	since  trace.Time
	cat    int
	stack  *traceStackAcc // where it is blocked, for network and sync waits
	assist bool           // inside a GC mark assist
	system bool           // a runtime goroutine
	dur    [numCats]time.Duration
}

// traceStackAcc is the time spent blocked at one stack.
type traceStackAcc struct {
	cat    int
	caller string
	reason string
	frames []string
	time   time.Duration
	gs     map[trace.GoID]struct{}
}

// stackInfo is what a stack says about the goroutine on it.
type stackInfo struct {
	frames   []string
	key      string
	caller   string
	system   bool   // a runtime goroutine's own stack
	idle     bool   // waiting for the service's clients
	network  bool   // a wait for a remote answer, whatever the reason
	inferred string // the wait reason the frames suggest
}

func newTraceAcc() *traceAcc {
	return &traceAcc{
		gs:      make(map[trace.GoID]*goTime),
		stacks:  make(map[string]*traceStackAcc),
		byStack: make(map[trace.Stack]*stackInfo),
		procs:   make(map[trace.ProcID]struct{}),
	}
}

// event takes one event of the trace.
func (a *traceAcc) event(ev trace.Event) {
	a.events++
	now := ev.Time()
	if !a.started {
		a.started, a.first = true, now
	}
	a.last = now
	switch ev.Kind() {
	case trace.EventSync:
		clear(a.byStack)
	case trace.EventStateTransition:
		st := ev.StateTransition()
		switch st.Resource.Kind {
		case trace.ResourceGoroutine:
			a.transition(now, st)
		case trace.ResourceProc:
			// Every P shows up in a status event: they count GOMAXPROCS.
			if len(a.procs) < maxTraceProcs {
				a.procs[st.Resource.Proc()] = struct{}{}
			}
		}
	case trace.EventRangeBegin, trace.EventRangeActive, trace.EventRangeEnd:
		r := ev.Range()
		if r.Scope.Kind != trace.ResourceGoroutine || !strings.HasPrefix(r.Name, "GC mark assist") {
			return
		}
		g := a.gs[r.Scope.Goroutine()]
		if g == nil {
			return
		}
		a.flush(g, now)
		g.assist = ev.Kind() != trace.EventRangeEnd
		if g.state == trace.GoRunning {
			g.cat = category(g, "")
		}
	}
}

// transition moves a goroutine to its new state, charging the time since
// its last change to the state it leaves.
func (a *traceAcc) transition(now trace.Time, st trace.StateTransition) {
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	g := a.gs[id]
	if g == nil {
		if to == trace.GoNotExist {
			return
		}
		g = &goTime{id: id, state: from, since: now, cat: -1}
		if from != trace.GoNotExist {
			// It existed before its first event, and since the trace
			// shows no change, it was in its state from the start.
			g.since = a.first
		}
		a.gs[id] = g
	}
	if g.cat >= 0 {
		a.flush(g, now)
	}
	if to == trace.GoNotExist {
		a.retire(g)
		delete(a.gs, id)
		return
	}
	info := a.stackInfo(st.Stack)
	if info != nil && info.system {
		g.system = true
	}
	// A status event repeats the state at each generation's start and
	// says no more: keep what is known of the wait.
	if to == g.state && st.Reason == "" && g.cat >= 0 {
		return
	}
	g.state = to
	g.stack = nil
	reason := st.Reason
	if to == trace.GoWaiting && reason == "" && info != nil {
		reason = info.inferred
	}
	g.cat = category(g, reason)
	if to == trace.GoWaiting && reason == "" && info == nil && from == trace.GoUndetermined {
		g.cat = catUnknown
	}
	if to == trace.GoWaiting && info != nil {
		if g.cat == catSync && info.network {
			g.cat = catNetwork
		}
		if info.idle {
			g.cat = catIdle
		}
		if !g.system && (g.cat == catNetwork || g.cat == catSync) {
			g.stack = a.stackAcc(info, g.cat, reason)
		}
	}
}

// category is the category of g's current state; reason is the wait's.
func category(g *goTime, reason string) int {
	switch g.state {
	case trace.GoRunning:
		if g.assist {
			return catGCAssist
		}
		return catRunning
	case trace.GoRunnable:
		return catRunnable
	case trace.GoSyscall:
		return catSyscall
	case trace.GoWaiting:
		return waitCategory(reason)
	}
	return catWaiting
}

// waitCategory sorts the runtime's block reasons (runtime/traceruntime.go,
// traceBlockReasonStrings).
func waitCategory(reason string) int {
	switch reason {
	case "network":
		return catNetwork
	case "select", "chan send", "chan receive", "sync", "sync.(*Cond).Wait":
		return catSync
	case "GC mark assist wait for work":
		return catGCAssist
	case "system goroutine wait", "GC background sweeper wait", "GC weak to strong wait":
		return catRuntime
	}
	return catWaiting
}

// flush charges g's time since its last change to its category.
func (a *traceAcc) flush(g *goTime, now trace.Time) {
	d := now.Sub(g.since)
	g.since = now
	if d <= 0 || g.cat < 0 {
		return
	}
	g.dur[g.cat] += d
	if g.stack != nil {
		g.stack.time += d
		g.stack.gs[g.id] = struct{}{}
	}
}

// retire adds a goroutine's time to the totals when it exits or the
// trace ends: all of it to the runtime's share for a runtime goroutine.
func (a *traceAcc) retire(g *goTime) {
	if g.system {
		var sum time.Duration
		for _, d := range g.dur {
			sum += d
		}
		if sum > 0 {
			a.total[catRuntime] += sum
			a.gcount[catRuntime]++
		}
		return
	}
	inSplit := false
	for cat, d := range g.dur {
		if d <= 0 {
			continue
		}
		a.total[cat] += d
		a.gcount[cat]++
		if cat < catIdle {
			inSplit = true
		}
	}
	if inSplit {
		a.counted++
	}
}

// finish closes every goroutine's last interval at the end of the trace.
func (a *traceAcc) finish() {
	for id, g := range a.gs {
		a.flush(g, a.last)
		a.retire(g)
		delete(a.gs, id)
	}
}

// stackAcc returns the accumulator for a blocking stack.
func (a *traceAcc) stackAcc(info *stackInfo, cat int, reason string) *traceStackAcc {
	key := info.key
	if cat == catSync {
		// A channel receive and a select at the same frames are
		// different waits.
		key = reason + "\n" + key
	}
	s := a.stacks[key]
	if s == nil {
		s = &traceStackAcc{cat: cat, caller: info.caller, reason: reason, frames: info.frames, gs: make(map[trace.GoID]struct{})}
		if cat == catNetwork {
			s.reason = "network"
		}
		a.stacks[key] = s
	}
	return s
}

// stackInfo reads a stack once per generation.
func (a *traceAcc) stackInfo(s trace.Stack) *stackInfo {
	if s == trace.NoStack {
		return nil
	}
	if info, ok := a.byStack[s]; ok {
		return info
	}
	var frames []string
	for f := range s.Frames() {
		if len(frames) == maxTraceFrames {
			break
		}
		frames = append(frames, f.Func)
	}
	var info *stackInfo
	if len(frames) > 0 {
		info = describeStack(frames)
	}
	a.byStack[s] = info
	return info
}
