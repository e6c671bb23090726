package report

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

// describeStack works out what a stack's frames say.
func describeStack(raw []string) *stackInfo {
	info := &stackInfo{}
	for i, f := range raw {
		if f == "net/http.(*conn).serve" && i > 0 && raw[i-1] == "bufio.(*Reader).Peek" {
			// Waiting for the next request on a kept-alive connection.
			info.idle = true
		}
		if r, ok := inferredReasons[f]; ok && info.inferred == "" {
			info.inferred = r
		}
		if info.inferred == "" && strings.HasPrefix(f, "internal/poll.(*FD).") {
			info.inferred = "network"
		}
		if idleFrames[f] {
			info.idle = true
		}
		if networkFrames[f] {
			info.network = true
		}
		if strings.HasPrefix(f, "net/http/pprof.") {
			// The profiler's own handler, serving this very trace.
			info.system = true
		}
	}
	frames := trimParking(raw)
	info.frames, info.key, info.caller = frames, strings.Join(frames, "\n"), stackCaller(frames)
	// The outermost frame says where the goroutine began (goexit aside).
	outer := ""
	for i := len(raw) - 1; i >= 0; i-- {
		if raw[i] != "runtime.goexit" {
			outer = raw[i]
			break
		}
	}
	if pkg := funcPackage(outer); (pkg == "runtime" || pkg == "runtime/trace") && outer != "runtime.main" {
		info.system = true
	}
	return info
}

// trimParking drops the innermost frames that only park the goroutine, so
// that the stack of a goroutine blocked when the trace began (which has
// them) matches the stack of one that blocks during it (which has not).
func trimParking(frames []string) []string {
	for len(frames) > 1 {
		f := frames[0]
		if parkingFrames[f] || strings.HasPrefix(f, "internal/poll.(*pollDesc).") ||
			strings.HasPrefix(f, "internal/sync.") || strings.HasPrefix(f, "sync.runtime_") {
			frames = frames[1:]
			continue
		}
		break
	}
	return frames
}

var parkingFrames = map[string]bool{
	"runtime.gopark": true, "runtime.goparkunlock": true, "runtime.netpollblock": true,
	"internal/poll.runtime_pollWait": true, "runtime.semacquire1": true,
	"runtime.chanrecv": true, "runtime.chansend": true, "runtime.notifyListWait": true,
}

// idleFrames mark waits for the service's own clients, and the idle side
// of its HTTP client connections (a request's wait for its response is
// on the requesting goroutine's stack).
var idleFrames = map[string]bool{
	"internal/poll.(*FD).Accept":                                             true,
	"net/http.(*connReader).backgroundRead":                                  true,
	"net/http.(*conn).readRequest":                                           true,
	"net/http.(*http2serverConn).readFrames":                                 true,
	"net/http.(*persistConn).readLoop":                                       true,
	"net/http.(*persistConn).writeLoop":                                      true,
	"golang.org/x/net/http2.(*serverConn).readFrames":                        true,
	"google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams": true,
}

// inferredReasons give the wait reason of a goroutine that was already
// blocked when the trace began, from the functions it blocks in; they are
// the runtime's own reasons for the same waits.
var inferredReasons = map[string]string{
	"runtime.netpollblock":              "network",
	"net/http.(*persistConn).roundTrip": "network",
	"runtime.selectgo":                  "select",
	"runtime.block":                     "forever",
	"runtime.chanrecv":                  "chan receive",
	"runtime.chanrecv1":                 "chan receive",
	"runtime.chanrecv2":                 "chan receive",
	"runtime.chansend":                  "chan send",
	"runtime.chansend1":                 "chan send",
	"sync.runtime_notifyListWait":       "sync.(*Cond).Wait",
	"sync.(*Cond).Wait":                 "sync.(*Cond).Wait",
	"runtime.semacquire1":               "sync",
	"sync.(*Mutex).Lock":                "sync",
	"sync.(*RWMutex).Lock":              "sync",
	"sync.(*RWMutex).RLock":             "sync",
	"sync.(*WaitGroup).Wait":            "sync",
	"time.Sleep":                        "sleep",
}

// networkFrames turn a synchronisation wait into a network wait: an HTTP
// client's caller waits on a channel for the response its connection's
// goroutine reads.
var networkFrames = map[string]bool{
	"net/http.(*persistConn).roundTrip": true,
}

// plumbing are the packages a blocking call passes through on its way
// from the caller to the runtime, when no user function is on the stack.
var plumbing = []string{"runtime", "internal/", "syscall", "net", "sync", "io", "bufio", "os", "time", "vendor/", "crypto/tls", "context"}

// stackCaller names the function that made the blocking call: the
// innermost user function, else the innermost function outside the
// plumbing, else the innermost frame.
func stackCaller(frames []string) string {
	for _, f := range frames {
		if isUserFunc(f) {
			return f
		}
	}
	for _, f := range frames {
		pkg := funcPackage(f)
		inner := false
		for _, p := range plumbing {
			if pkg == p || strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p) {
				inner = true
				break
			}
		}
		if !inner {
			return f
		}
	}
	return frames[0]
}
