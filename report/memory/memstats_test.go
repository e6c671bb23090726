package memory

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/internal/testprog"
)

// startMemspike builds and runs testdata/memspike with args and returns
// the base URL of its pprof handlers. The program exits when the test
// ends.
func startMemspike(t *testing.T, args ...string) string {
	t.Helper()
	addr, _ := testprog.Run(t, testprog.Build(t, "../testdata/memspike"), "", args...)
	return "http://" + addr + "/debug/pprof"
}

// fetchMemStats streams heap?debug=1 from a live program into the parser.
func fetchMemStats(t *testing.T, base string) *Stats {
	t.Helper()
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get(base + "/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("heap?debug=1: %s", resp.Status)
	}
	ms, err := ParseStats(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestParseMemStatsLive parses the block a running Go program serves and
// checks it against the invariants runtime.ReadMemStats guarantees.
func TestParseMemStatsLive(t *testing.T) {
	ms := fetchMemStats(t, startMemspike(t))
	checks := []struct {
		what string
		ok   bool
	}{
		{"Alloc == HeapAlloc", ms.Alloc == ms.HeapAlloc},
		{"HeapAlloc <= HeapInuse", ms.HeapAlloc <= ms.HeapInuse},
		{"HeapInuse + HeapIdle == HeapSys", ms.HeapInuse+ms.HeapIdle == ms.HeapSys},
		{"HeapReleased <= HeapIdle", ms.HeapReleased <= ms.HeapIdle},
		{"Sys is the sum of the *Sys fields", ms.Sys == ms.HeapSys+ms.StackSys+ms.MSpanSys+ms.MCacheSys+ms.BuckHashSys+ms.GCSys+ms.OtherSys},
		{"StackInuse <= StackSys", ms.StackInuse <= ms.StackSys},
		{"MSpanInuse <= MSpanSys", ms.MSpanInuse <= ms.MSpanSys},
		{"MCacheInuse <= MCacheSys", ms.MCacheInuse <= ms.MCacheSys},
		{"TotalAlloc >= Alloc", ms.TotalAlloc >= ms.Alloc},
		{"the 4 MiB live heap is counted", ms.HeapAlloc >= 4<<20},
		{"HeapObjects > 0", ms.HeapObjects > 0},
		{"NumGC >= NumForcedGC >= 1 (the program ran runtime.GC)", ms.NumGC >= ms.NumForcedGC && ms.NumForcedGC >= 1},
		{"NextGC > 0", ms.NextGC > 0},
		{"0 <= GCCPUFraction <= 1", ms.GCCPUFraction >= 0 && ms.GCCPUFraction <= 1},
		{"MaxRSS (linux reports it) >= HeapAlloc", ms.MaxRSS >= ms.HeapAlloc},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s does not hold: %+v", c.what, *ms)
		}
	}
}

// TestSpikeLeavesRuntimeHolding: a real program that allocated 256 MiB
// and freed it has a small heap, yet its runtime still holds the memory;
// the verdict says so.
func TestSpikeLeavesRuntimeHolding(t *testing.T) {
	ms := fetchMemStats(t, startMemspike(t, "-spike", "256"))
	m := Reconcile(*ms, nil, nil)
	if m.Cause != CauseRetained {
		t.Fatalf("cause %q, want %q; verdict: %s\n%+v", m.Cause, CauseRetained, m.Verdict, *ms)
	}
	if m.HeapIdleHeld < 200<<20 || m.HeapObjects > 32<<20 || m.Held < m.HeapIdleHeld {
		t.Errorf("idle held %d, heap objects %d, held %d: want about 256 MiB idle over a small heap", m.HeapIdleHeld, m.HeapObjects, m.Held)
	}
	for _, want := range []string{"the Go runtime holds " + FormatBytes(m.Held), "while heap objects are " + FormatBytes(ms.HeapAlloc),
		FormatBytes(m.HeapIdleHeld) + " is idle heap left from when the heap was larger (a spike), not yet returned to the OS"} {
		if !strings.Contains(m.Verdict, want) {
			t.Errorf("verdict %q does not say %q", m.Verdict, want)
		}
	}
	if strings.Contains(m.Verdict, "limit") || m.Explains() {
		t.Errorf("no limit and no OOM kill are known, yet the verdict says %q (explains %v)", m.Verdict, m.Explains())
	}
}

// memStatsBlock is the tail of a heap?debug=1 body, as runtime/pprof
// writes it (writeHeapInternal).
const memStatsBlock = `
# runtime.MemStats
# Alloc = 62914560
# TotalAlloc = 9876543210
# Sys = 450000000
# Lookups = 0
# Mallocs = 100
# Frees = 50
# HeapAlloc = 62914560
# HeapSys = 420000000
# HeapIdle = 350000000
# HeapInuse = 70000000
# HeapReleased = 20000000
# HeapObjects = 50
# Stack = 1048576 / 1048576
# MSpan = 100000 / 200000
# MCache = 1200 / 15600
# BuckHashSys = 1500000
# GCSys = 20000000
# OtherSys = 7235824
# NextGC = 125829120
# LastGC = 1763860000000000000
# PauseNs = [1000 2000 0 0]
# PauseEnd = [1 2 0 0]
# NumGC = 42
# NumForcedGC = 1
# GCCPUFraction = 0.0123
# DebugGC = false
# MaxRSS = 460000000
`

func TestParseMemStatsStreams(t *testing.T) {
	// Megabytes of heap records, one line longer than any bound, then
	// the block: parsed through a reader that hands out small pieces.
	var b strings.Builder
	b.WriteString("heap profile: 1: 2 [3: 4] @ heap/1048576\n")
	for i := range 40_000 {
		fmt.Fprintf(&b, "1: 65536 [1: 65536] @ 0x%x 0x2\n#\t0x%x\tmain.alloc+0x1\t/src/main.go:%d\n\n", i, i, i)
	}
	b.WriteString("# " + strings.Repeat("x", 3*maxMemStatsLine) + "\n")
	b.WriteString(memStatsBlock)
	if b.Len() < 2<<20 {
		t.Fatalf("test body is only %d bytes", b.Len())
	}
	ms, err := ParseStats(&chunkReader{s: b.String(), n: 4093})
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Alloc: 62914560, TotalAlloc: 9876543210, Sys: 450000000, HeapAlloc: 62914560, HeapSys: 420000000,
		HeapIdle: 350000000, HeapInuse: 70000000, HeapReleased: 20000000, HeapObjects: 50, StackInuse: 1048576, StackSys: 1048576,
		MSpanInuse: 100000, MSpanSys: 200000, MCacheInuse: 1200, MCacheSys: 15600, BuckHashSys: 1500000, GCSys: 20000000,
		OtherSys: 7235824, NextGC: 125829120, NumGC: 42, NumForcedGC: 1, GCCPUFraction: 0.0123, MaxRSS: 460000000}
	if *ms != want {
		t.Errorf("parsed\n%+v\nwant\n%+v", *ms, want)
	}
}

type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestParseMemStatsErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
		missing          bool
	}{
		{name: "empty body", body: "", missing: true},
		{name: "a goroutine dump", body: "goroutine 1 [running]:\nmain.main()\n", missing: true},
		{name: "heap records cut before the block", body: "heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n", missing: true},
		{name: "block without Sys", body: "# runtime.MemStats\n# Alloc = 5\n", missing: true},
		{name: "a value that is not a number", body: strings.Replace(memStatsBlock, "# HeapIdle = 350000000", "# HeapIdle = lots", 1), want: "HeapIdle is not a count"},
		{name: "a pair without the slash", body: strings.Replace(memStatsBlock, "# Stack = 1048576 / 1048576", "# Stack = 1048576", 1), want: "Stack is not 'inuse / sys'"},
		{name: "a fraction that is not a number", body: strings.Replace(memStatsBlock, "0.0123", "NaNx", 1), want: "GCCPUFraction is not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := ParseStats(strings.NewReader(c.body))
			if err == nil {
				t.Fatalf("parsed %+v, want an error", *ms)
			}
			if c.missing != errors.Is(err, ErrNoStats) {
				t.Errorf("error %v: is ErrNoStats = %v, want %v", err, errors.Is(err, ErrNoStats), c.missing)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// FuzzParseMemStats: any text parses or fails cleanly, and whatever parses
// reconciles and renders without panicking.
func FuzzParseMemStats(f *testing.F) {
	f.Add("heap profile: 1: 2 [3: 4] @ heap/1048576\n" + memStatsBlock)
	f.Add("# runtime.MemStats\n# Sys = 1\n# HeapSys = 1\n# HeapReleased = 5\n# NextGC = 18446744073709551615\n# MaxRSS = 99999999999\n")
	f.Add("# runtime.MemStats\n# Stack = 1 / \n")
	f.Fuzz(func(t *testing.T, body string) {
		ms, err := ParseStats(strings.NewReader(body))
		if err != nil {
			return
		}
		if ms.Sys == 0 || ms.HeapSys == 0 {
			t.Fatalf("parsed without Sys or HeapSys: %+v", *ms)
		}
		m := Reconcile(*ms, limit512(0, ""), oomRestart("app"))
		if m.Verdict == "" || !strings.HasPrefix(m.Verdict, "OOMKilled at limit 512Mi") {
			t.Fatalf("verdict %q", m.Verdict)
		}
	})
}
