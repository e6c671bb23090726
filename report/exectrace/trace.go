package exectrace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/exp/trace"
)

// The goroutine states of a trace summary, in the order they are shown.
const (
	Running  = "running"
	Runnable = "runnable"
	Syscall  = "syscall"
	Network  = "network wait"
	Sync     = "sync block"
	GCAssist = "GC assist"
	Waiting  = "other wait"
)

// states are the states that make up goroutine time, by category.
var states = [...]string{Running, Runnable, Syscall, Network, Sync, GCAssist, Waiting}

// The categories a goroutine's time falls in: the states above, then two
// that are set apart from the split.
const (
	catRunning = iota
	catRunnable
	catSyscall
	catNetwork
	catSync
	catGCAssist
	catWaiting
	// catIdle is a wait for the service's own clients: accepting
	// connections, reading the next request on a kept-alive connection,
	// watching a request's connection for the client going away.
	catIdle
	// catUnknown is the start of a wait that began before the trace: a
	// goroutine first seen when it wakes comes with neither a reason nor
	// a stack.
	catUnknown
	// catRuntime is the time of the runtime's own goroutines (GC workers,
	// the sweeper, the finalizer goroutine, ...).
	catRuntime
	numCats
)

// traceMagic starts every Go execution trace ("go 1.26 trace\x00...").
var traceMagic = []byte("go 1.")

// minTraceMinor is the oldest Go release whose traces are read: Go 1.22
// brought the format that streams.
const minTraceMinor = 22

// traceMinor is the Go minor version in a trace header, -1 if unreadable.
func traceMinor(head []byte) int {
	rest := head[len(traceMagic):]
	n := 0
	for i, c := range rest {
		if c == ' ' && i > 0 {
			return n
		}
		if c < '0' || c > '9' || n > 1000 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return -1
}

// looksLike reports whether b starts like a Go execution trace.
func looksLike(b []byte) bool {
	if !bytes.HasPrefix(b, traceMagic) {
		return false
	}
	head := b[len(traceMagic):min(len(b), 16)]
	i := bytes.IndexByte(head, ' ')
	return i > 0 && bytes.HasPrefix(head[i:], []byte(" trace\x00"))
}

// Summary is where goroutine time went in an execution trace: the
// time of every goroutine, split by state, and the stacks that waited
// longest on the network and on synchronisation.
//
// Goroutine time counts each goroutine from the start of the window, or
// its creation, to the end, or its exit. A goroutine blocked for the whole
// window counts the whole window in the state it was blocked in: a request
// stuck on a backend that never answers is the worst latency there is. The
// state of a goroutine already blocked when the trace starts comes from
// its stack, since the trace records no reason for it. Three kinds of
// time are set apart and not in the split: waits for the service's own
// clients (accept loops, idle kept-alive connections, net/http's watch on
// a request's connection), which say nothing about why requests are slow;
// the part before its first wake-up of a wait that began before the trace,
// when the trace gives neither its reason nor its stack (it does so for a
// goroutine first seen as it wakes); and the runtime's own goroutines.
type Summary struct {
	// Window is the span of the trace.
	Window time.Duration `json:"window_ns"`
	// Goroutines is how many goroutines the split counts.
	Goroutines int `json:"goroutines"`
	// Total is the goroutine time of the split: the sum of States.
	Total time.Duration `json:"total_ns"`
	// States is goroutine time by state, in a fixed order, zero states
	// included.
	States []State `json:"states"`
	// Idle is time spent waiting for the service's own clients, by
	// IdleGoroutines goroutines; Runtime is the time of RuntimeGoroutines
	// runtime goroutines. Neither is part of Total.
	Idle           time.Duration `json:"idle_ns"`
	IdleGoroutines int           `json:"idle_goroutines"`
	// Unknown is the time of waits that began before the trace and whose
	// reason it does not record, by UnknownGoroutines goroutines; not
	// part of Total.
	Unknown           time.Duration `json:"unknown_wait_ns"`
	UnknownGoroutines int           `json:"unknown_goroutines"`
	Runtime           time.Duration `json:"runtime_ns"`
	RuntimeGoroutines int           `json:"runtime_goroutines"`
	// Network and Sync are the stacks that waited longest on the network
	// and on synchronisation (mutexes, channels, select, conditions,
	// WaitGroups), longest first.
	Network []Stack `json:"network,omitempty"`
	Sync    []Stack `json:"sync,omitempty"`
	// Dominant is the state with the most goroutine time; empty when the
	// trace holds no goroutine time.
	Dominant string `json:"dominant,omitempty"`
	// Culprit is the function the headline blames: the caller with the
	// most time in the dominant wait; empty unless that is a network wait
	// or a sync block.
	Culprit string `json:"culprit,omitempty"`
	// Headline is the sentence, e.g. "network wait 78% of goroutine time,
	// mostly in main.callBackend (12 goroutines, 9.1s)".
	Headline string `json:"headline,omitempty"`
	// Procs is how many Ps (GOMAXPROCS) the trace shows; CPUBusy is the
	// running goroutine time (GC assists included) as a percentage of
	// Window × Procs.
	Procs   int     `json:"procs"`
	CPUBusy float64 `json:"cpu_busy_pct"`
	// Events is how many events the trace held.
	Events int `json:"events"`
}

// State is the goroutine time spent in one state.
type State struct {
	State      string        `json:"state"`
	Time       time.Duration `json:"time_ns"`
	Pct        float64       `json:"pct"`
	Goroutines int           `json:"goroutines"`
}

// Stack is the time goroutines spent blocked at one stack.
type Stack struct {
	// Caller is the function that made the call that blocked: the
	// innermost frame outside the runtime and the standard library (so
	// main.callBackend, not net.(*conn).Read), else the innermost outside
	// the runtime's and the standard library's plumbing.
	Caller string `json:"caller"`
	// Reason is how the goroutines blocked: "network", "chan receive",
	// "select", "sync", ...
	Reason string `json:"reason"`
	// Frames are the stack's functions, innermost first, as pprof lists
	// them.
	Frames     []string      `json:"frames"`
	Time       time.Duration `json:"time_ns"`
	Pct        float64       `json:"pct"`
	Goroutines int           `json:"goroutines"`
}

// Options tune Summarize.
type Options struct {
	// Top is how many stacks to keep per table; 0 means 10.
	Top int
}

// ErrNotTrace says the input is not a Go execution trace.
var ErrNotTrace = errors.New("not a Go execution trace (no \"go 1.N trace\" header)")

// Summarize reads a Go execution trace (as /debug/pprof/trace serves
// it) from r as a stream and summarises where goroutine time went. Its
// memory grows with the goroutines and distinct stacks of the trace, not
// with its length. A malformed trace is an error, never a panic.
func Summarize(r io.Reader, opt Options) (s *Summary, err error) {
	defer func() {
		// The trace reader trusts some of what it has validated; a
		// corrupt trace must not take the receiver down.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("read trace: malformed trace: %v", p)
		}
	}()
	br := &peekReader{r: r}
	head := br.peek(16)
	if br.err != nil {
		return nil, fmt.Errorf("read trace: %w", br.err)
	}
	if !looksLike(head) {
		return nil, ErrNotTrace
	}
	if minor := traceMinor(head); minor < minTraceMinor {
		// Older traces use another format, which the reader can only
		// parse whole in memory.
		return nil, fmt.Errorf("read trace: traces of Go 1.%d are not supported (Go 1.%d or later)", minor, minTraceMinor)
	}
	tr, err := trace.NewReader(br)
	if err != nil {
		if br.err != nil {
			return nil, fmt.Errorf("read trace header: %w", br.err)
		}
		return nil, fmt.Errorf("read trace header: %w", err)
	}
	a := newTraceAcc()
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if br.err != nil {
				// The trace reader reports a failed read as a short
				// batch; the cause is the reader's.
				err = br.err
			}
			return nil, fmt.Errorf("read trace after %d events: %w", a.events, err)
		}
		a.event(ev)
	}
	return a.summary(opt), nil
}

// peekReader lets Summarize look at the header before handing the
// whole stream to the trace reader, and keeps the first read error other
// than io.EOF.
type peekReader struct {
	r    io.Reader
	head []byte
	err  error
}

// peek reads up to n bytes ahead; they are read again by Read.
func (p *peekReader) peek(n int) []byte {
	buf := make([]byte, n)
	m, err := io.ReadFull(p.r, buf)
	p.head = buf[:m]
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		p.err = err
	}
	return slices.Clone(p.head)
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) && p.err == nil {
		p.err = err
	}
	return n, err
}
