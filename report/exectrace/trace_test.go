package exectrace

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"
)

// traceOf traces this test process while work runs and returns the trace.
func traceOf(t *testing.T, work func()) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatalf("start trace: %v", err)
	}
	work()
	trace.Stop()
	return buf.Bytes()
}

// blockOnMutex waits for mu, held by the test.
func blockOnMutex(mu *sync.Mutex, done *sync.WaitGroup) {
	defer done.Done()
	mu.Lock()
	mu.Unlock() //nolint:staticcheck // the wait is the point
}

// blockOnChannel waits for a value on ch.
func blockOnChannel(ch chan int, done *sync.WaitGroup) {
	defer done.Done()
	<-ch
}

// TestSummarizeSyncWaits traces goroutines that block on a mutex and
// on a channel in this process; both are sync blocks, named by caller.
func TestSummarizeSyncWaits(t *testing.T) {
	var mu sync.Mutex
	ch := make(chan int)
	var done sync.WaitGroup
	data := traceOf(t, func() {
		mu.Lock()
		done.Add(6)
		for range 3 {
			go blockOnMutex(&mu, &done)
			go blockOnChannel(ch, &done)
		}
		time.Sleep(50 * time.Millisecond)
		mu.Unlock()
		for range 3 {
			ch <- 1
		}
		done.Wait()
	})
	s, err := Summarize(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	callers := map[string]Stack{}
	for _, st := range s.Sync {
		callers[st.Caller] = st
	}
	for _, c := range []struct{ caller, reason string }{
		{"github.com/alertprof/alertprof/report/exectrace.blockOnMutex", "sync"},
		{"github.com/alertprof/alertprof/report/exectrace.blockOnChannel", "chan receive"},
	} {
		st, ok := callers[c.caller]
		if !ok {
			t.Errorf("no sync stack with caller %s in %+v", c.caller, s.Sync)
			continue
		}
		if st.Reason != c.reason || st.Goroutines != 3 || st.Time <= 0 {
			t.Errorf("%s: reason %q, %d goroutines, %s; want %q, 3 goroutines", c.caller, st.Reason, st.Goroutines, st.Time, c.reason)
		}
	}
	var sync State
	for _, st := range s.States {
		if st.State == Sync {
			sync = st
		}
	}
	if sync.Time <= 0 || sync.Goroutines < 6 {
		t.Errorf("sync block state %+v, want the six blocked goroutines", sync)
	}
	if s.Window <= 0 || s.Events == 0 || s.Procs < 1 {
		t.Errorf("window %s, %d events, %d Ps", s.Window, s.Events, s.Procs)
	}
	var sum time.Duration
	for _, st := range s.States {
		sum += st.Time
	}
	if sum != s.Total {
		t.Errorf("states add up to %s, total is %s", sum, s.Total)
	}
}

func TestSummarizeEmptyWindow(t *testing.T) {
	data := traceOf(t, func() {})
	s, err := Summarize(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatalf("summarize an empty window: %v", err)
	}
	if len(s.States) != len(states) {
		t.Errorf("%d states, want all %d", len(s.States), len(states))
	}
	var text bytes.Buffer
	if err := Write(&text, s); err != nil || !strings.Contains(text.String(), "execution trace:") {
		t.Errorf("text of an empty window: %q %v", text.String(), err)
	}

	// A header and nothing else: a trace with no events.
	s, err = Summarize(strings.NewReader("go 1.26 trace\x00\x00\x00"), Options{})
	if err != nil {
		t.Fatalf("summarize a header alone: %v", err)
	}
	if s.Events > 1 || s.Total != 0 || s.Goroutines != 0 || s.Headline != "" || s.Dominant != "" || len(s.Network)+len(s.Sync) != 0 {
		t.Errorf("header alone gave %+v", s)
	}
}

func TestSummarizeBadInput(t *testing.T) {
	real := traceOf(t, func() { time.Sleep(10 * time.Millisecond) })
	tests := []struct {
		name  string
		data  []byte
		want  string
		isNot bool
	}{
		{name: "empty", data: nil, isNot: true},
		{name: "garbage", data: []byte("hello, this is not a trace at all"), isNot: true},
		{name: "pprof profile", data: []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, isNot: true},
		{name: "html", data: []byte("<!DOCTYPE html><html></html>"), isNot: true},
		{name: "unsupported version", data: []byte("go 1.99 trace\x00\x00\x00"), want: "unsupported trace version go 1.99"},
		{name: "old format", data: []byte("go 1.21 trace\x00\x00\x00"), want: "traces of Go 1.21 are not supported"},
		{name: "truncated", data: real[:len(real)/2], want: "read trace"},
		{name: "header then garbage", data: append([]byte("go 1.26 trace\x00\x00\x00"), bytes.Repeat([]byte{0xff}, 64)...), want: "read trace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Summarize(bytes.NewReader(tc.data), Options{})
			if err == nil {
				t.Fatalf("summarized %d bytes of %s: %+v", len(tc.data), tc.name, s)
			}
			if tc.isNot && !errors.Is(err, ErrNotTrace) {
				t.Errorf("error %v, want ErrNotTrace", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestSummarizeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	real := traceOf(t, func() {})
	_, err := Summarize(&errReader{data: real[:100], err: boom}, Options{})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the read error", err)
	}
	_, err = Summarize(&errReader{err: boom}, Options{})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the read error", err)
	}
}

func TestLooksLikeTrace(t *testing.T) {
	for in, want := range map[string]bool{
		"go 1.26 trace\x00\x00\x00":    true,
		"go 1.22 trace\x00\x00\x00":    true,
		"go 1.5 trace\x00\x00\x00\x00": true,
		"go 1.26 trace":                false,
		"go 1. trace\x00":              false,
		"go 2.0 trace\x00\x00\x00":     false,
		"goroutine 1 [running]:":       false,
		"":                             false,
	} {
		if got := looksLike([]byte(in)); got != want {
			t.Errorf("looksLike(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDescribeStack(t *testing.T) {
	tests := []struct {
		name             string
		frames           []string
		caller, inferred string
		trimmedTo        string
		idle, system     bool
		network          bool
	}{
		{
			name: "network read under a user function, as at trace start",
			frames: []string{"runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait",
				"internal/poll.(*pollDesc).waitRead", "internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "main.callBackend", "main.main.func1", "net/http.HandlerFunc.ServeHTTP"},
			caller: "main.callBackend", inferred: "network", trimmedTo: "internal/poll.(*FD).Read",
		},
		{
			name:   "network read as blocked during the trace",
			frames: []string{"internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "github.com/acme/shop/inventory.(*Client).Get", "main.handle"},
			caller: "github.com/acme/shop/inventory.(*Client).Get", inferred: "network", trimmedTo: "internal/poll.(*FD).Read",
		},
		{
			name:   "accept loop",
			frames: []string{"internal/poll.(*FD).Accept", "net.(*netFD).accept", "net.(*TCPListener).Accept", "net/http.(*Server).Serve"},
			caller: "net/http.(*Server).Serve", inferred: "network", trimmedTo: "internal/poll.(*FD).Accept", idle: true,
		},
		{
			name:   "kept-alive connection waiting for a request",
			frames: []string{"internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "net/http.(*connReader).Read", "bufio.(*Reader).fill", "bufio.(*Reader).Peek", "net/http.(*conn).serve"},
			caller: "net/http.(*connReader).Read", inferred: "network", trimmedTo: "internal/poll.(*FD).Read", idle: true,
		},
		{
			name: "mutex at trace start",
			frames: []string{"runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "internal/sync.runtime_SemacquireMutex",
				"internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "main.(*cache).get"},
			caller: "main.(*cache).get", inferred: "sync", trimmedTo: "sync.(*Mutex).Lock",
		},
		{
			name:   "HTTP client waiting for its response",
			frames: []string{"runtime.selectgo", "net/http.(*persistConn).roundTrip", "net/http.(*Transport).roundTrip", "net/http.(*Client).Do", "main.fetchPrice"},
			caller: "main.fetchPrice", inferred: "select", trimmedTo: "runtime.selectgo", network: true,
		},
		{
			name:   "runtime goroutine",
			frames: []string{"runtime.gopark", "runtime.goparkunlock", "runtime.forcegchelper", "runtime.goexit"},
			caller: "runtime.forcegchelper", trimmedTo: "runtime.forcegchelper", system: true,
		},
		{
			name:   "sleep in the main goroutine is not the runtime's",
			frames: []string{"time.Sleep", "main.main", "runtime.main"},
			caller: "main.main", inferred: "sleep", trimmedTo: "time.Sleep",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := describeStack(tc.frames)
			if info.caller != tc.caller || info.inferred != tc.inferred || info.idle != tc.idle || info.system != tc.system || info.network != tc.network {
				t.Errorf("caller %q inferred %q idle %v system %v network %v; want %q %q %v %v %v",
					info.caller, info.inferred, info.idle, info.system, info.network, tc.caller, tc.inferred, tc.idle, tc.system, tc.network)
			}
			if info.frames[0] != tc.trimmedTo {
				t.Errorf("frames start at %q, want %q", info.frames[0], tc.trimmedTo)
			}
		})
	}
}

func TestTraceRendering(t *testing.T) {
	s := &Summary{
		Window: 5 * time.Second, Goroutines: 14, Total: 70 * time.Second, Procs: 4, CPUBusy: 2.5,
		States: []State{
			{State: Running, Time: time.Second, Pct: 100.0 / 70, Goroutines: 14},
			{State: Network, Time: 60 * time.Second, Pct: 6000.0 / 70, Goroutines: 12},
			{State: Sync, Time: 9 * time.Second, Pct: 900.0 / 70, Goroutines: 2},
		},
		Network: []Stack{{Caller: "main.callBackend", Reason: "network", Time: 60 * time.Second, Pct: 85.7, Goroutines: 12,
			Frames: []string{"internal/poll.(*FD).Read", "net.(*conn).Read", "main.callBackend", "main.handle", "net/http.HandlerFunc.ServeHTTP"}}},
		Sync: []Stack{{Caller: "main.(*pool).get<&>", Reason: "sync", Time: 9 * time.Second, Pct: 12.9, Goroutines: 2,
			Frames: []string{"sync.(*Mutex).Lock", "main.(*pool).get<&>"}}},
		Dominant: Network, Culprit: "main.callBackend",
		Headline: "network wait 85.71% of goroutine time, mostly in main.callBackend (12 goroutines, 60s)",
		Idle:     10 * time.Second, IdleGoroutines: 3, Runtime: 20 * time.Second, RuntimeGoroutines: 4,
	}
	var text bytes.Buffer
	if err := Write(&text, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"=> network wait 85.71% of goroutine time, mostly in main.callBackend",
		"network wait by stack", "main.callBackend [network]",
		"poll.(*FD).Read ← net.(*conn).Read ← main.callBackend ← main.handle ← …",
		"sync block by stack", "4 Ps", "not counted: 10s waiting for clients (3 goroutines",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	var back Summary
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &back); err != nil || back.Culprit != s.Culprit || back.Network[0].Time != s.Network[0].Time {
		t.Errorf("JSON round trip: %+v %v", back, err)
	}
}
