package memory

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

const mib = 1 << 20

// oomRestart is the restart context of a container the kernel OOM-killed.
func oomRestart(container string) *capture.Restart {
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return &capture.Restart{Containers: []capture.ContainerRestart{{
		Container: container, RestartCount: 3, Reason: "OOMKilled", ExitCode: 137,
		StartedAt: started, FinishedAt: started.Add(42 * time.Minute), MemoryRequest: "256Mi", MemoryLimit: "512Mi",
	}}}
}

func limit512(gml int64, src string) *capture.MemoryBounds {
	return &capture.MemoryBounds{Container: "app", Request: 256 * mib, RequestText: "256Mi", Limit: 512 * mib, LimitText: "512Mi",
		GoMemLimit: gml, GoMemLimitSource: src}
}

// TestOOMKilledReport: the report of an OOM-killed pod whose live Go
// program (a real one, after a 256 MiB spike) has a small heap says that
// the runtime holds the memory, against the limit, and that the kill was
// the previous instance's; the JSON carries the same.
func TestOOMKilledReport(t *testing.T) {
	ms := fetchMemStats(t, startMemspike(t, "-spike", "256"))
	m := Reconcile(*ms, limit512(0, ""), oomRestart("app"))
	if m.Cause != CauseRetained || !m.Explains() || !m.OOMKilled {
		t.Fatalf("cause %q explains %v: %s", m.Cause, m.Explains(), m.Verdict)
	}
	var buf bytes.Buffer
	Write(&buf, m)
	out := buf.String()
	wants := []string{
		"[memory] OOMKilled at limit 512Mi (previous instance); heap objects are " + FormatBytes(ms.HeapAlloc) +
			" but the Go runtime holds " + FormatBytes(m.Held) + " (" + pctOf(m.Held, 512*mib) + " of the 512Mi limit): " +
			FormatBytes(m.HeapIdleHeld) + " is idle heap left from when the heap was larger (a spike), not yet returned to the OS; set GOMEMLIMIT≈461MiB (90% of the limit)",
		"  container app last terminated OOMKilled (exit code 137) at 2026-03-01 10:42:00Z; that was the previous instance, these statistics are from the one running now\n",
		"  heap idle, held   " + pad(FormatBytes(m.HeapIdleHeld), 9) + " " + pad(pctOf(m.HeapIdleHeld, 512*mib), 5) + "  HeapIdle-HeapReleased",
		"  runtime holds     " + pad(FormatBytes(m.Held), 9) + " " + pad(pctOf(m.Held, 512*mib), 5) + "  Sys-HeapReleased",
		"  GOMEMLIMIT          not set        no GOMEMLIMIT in the container's env\n",
		"  container limit       512Mi  100%  container app, request 256Mi\n",
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	js, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Reconciliation
	if err := json.Unmarshal(js, &back); err != nil || back.Cause != CauseRetained ||
		back.Stats != *ms || back.Bounds.Limit != 512*mib {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}

func pad(s string, n int) string { return strings.Repeat(" ", max(0, n-len(s))) + s }

// TestMemoryVerdicts: each explanation is given exactly when the numbers
// support it.
func TestMemoryVerdicts(t *testing.T) {
	// A process whose runtime holds 100 MiB, almost all of it heap objects.
	base := Stats{Alloc: 80 * mib, HeapAlloc: 80 * mib, HeapInuse: 82 * mib, HeapIdle: 4 * mib, HeapReleased: 2 * mib,
		HeapSys: 86 * mib, StackSys: 2 * mib, MSpanSys: 1 * mib, MCacheSys: 16 << 10, BuckHashSys: 1 * mib, GCSys: 6 * mib,
		OtherSys: 4*mib - 16<<10, NextGC: 160 * mib, NumGC: 10, GCCPUFraction: 0.01}
	base.Sys = base.HeapSys + base.StackSys + base.MSpanSys + base.MCacheSys + base.BuckHashSys + base.GCSys + base.OtherSys
	// with changes base and keeps the sums the runtime guarantees.
	with := func(f func(*Stats)) Stats {
		s := base
		f(&s)
		s.Alloc, s.HeapInuse = s.HeapAlloc, max(s.HeapInuse, s.HeapAlloc+2*mib)
		s.HeapSys = s.HeapInuse + s.HeapIdle
		s.Sys = s.HeapSys + s.StackSys + s.MSpanSys + s.MCacheSys + s.BuckHashSys + s.GCSys + s.OtherSys
		return s
	}
	cases := []struct {
		name    string
		ms      Stats
		bounds  *capture.MemoryBounds
		restart *capture.Restart
		cause   string
		says    []string
	}{
		{"no limit, nothing stands out", base, nil, nil, "",
			[]string{"the Go runtime holds 98MiB: heap objects 80MiB, idle heap 2MiB"}},
		{"limit, nothing stands out", base, limit512(460*mib, "env"), nil, "",
			[]string{"the Go runtime holds 98MiB (19% of the 512Mi limit)"}},
		{"peak RSS far above all the runtime mapped", with(func(s *Stats) { s.MaxRSS = 500 * mib }), limit512(0, ""), oomRestart("app"), CauseOutside,
			[]string{"OOMKilled at limit 512Mi (previous instance); peak RSS 500MiB exceeds all memory the Go runtime has mapped (Sys 100MiB): ~400MiB is outside the Go heap"}},
		{"binary-sized RSS above Sys is not blamed", with(func(s *Stats) { s.MaxRSS = s.Sys + 40*mib }), nil, nil, "", nil},
		{"no GOMEMLIMIT, heap goal above the limit", with(func(s *Stats) { s.HeapAlloc, s.NextGC = 300*mib, 600*mib }),
			limit512(0, ""), oomRestart("app"), CauseHeapGoal,
			[]string{"no GOMEMLIMIT: with GOGC=100 (the default, about twice what was live after the last GC) the GC lets heap objects reach NextGC 600MiB before it collects; with the runtime's other 16MiB that is 616MiB, above the 512Mi limit; set GOMEMLIMIT≈461MiB"}},
		{"GOGC=off without GOMEMLIMIT", with(func(s *Stats) { s.NextGC = 1<<64 - 1 }), limit512(0, ""), nil, CauseGCOff,
			[]string{"the GC is off (GOGC=off) and there is no GOMEMLIMIT: the heap grows without bound until the kernel kills it at 512Mi"}},
		{"GOMEMLIMIT above the container limit", base, limit512(1<<30, "env"), oomRestart("app"), CauseGoMemLimitHigh,
			[]string{"GOMEMLIMIT 1GiB is not below the container limit 512Mi"}},
		{"GOMEMLIMIT from a divisor that made it bytes", base,
			&capture.MemoryBounds{Container: "app", Limit: 512 * mib, LimitText: "512Mi", GoMemLimit: 512, GoMemLimitSource: "resourceFieldRef limits.memory (divisor 1Mi)",
				GoMemLimitNote: "divisor 1Mi makes the kubelet write the bare number 512, which Go reads as 512 bytes, not 512Mi"}, oomRestart("app"), CauseGoMemLimitLow,
			[]string{"GOMEMLIMIT 512B is far below the 98MiB the Go runtime holds", "which Go reads as 512 bytes"}},
		{"live heap near the limit", with(func(s *Stats) { s.HeapAlloc, s.NextGC = 400*mib, 410*mib }), limit512(460*mib, "env"), oomRestart("app"), CauseNearLimit,
			[]string{"heap objects alone are 400MiB (78% of the 512Mi limit)"}},
		{"OOMKilled, this instance is small", base, limit512(460*mib, "env"), oomRestart("app"), CauseUnexplained,
			[]string{"OOMKilled at limit 512Mi (previous instance); this instance's Go runtime holds only 98MiB (19% of the 512Mi limit)"}},
		{"another container was OOMKilled", base, limit512(460*mib, "env"), oomRestart("sidecar"), "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Reconcile(c.ms, c.bounds, c.restart)
			if m.Cause != c.cause {
				t.Errorf("cause %q, want %q: %s", m.Cause, c.cause, m.Verdict)
			}
			for _, s := range c.says {
				if !strings.Contains(m.Verdict, s) {
					t.Errorf("verdict %q does not say %q", m.Verdict, s)
				}
			}
			if want := c.cause != "" && c.cause != CauseUnexplained && c.cause != CauseGoMemLimitLow && m.OOMKilled; m.Explains() != want {
				t.Errorf("Explains() = %v, want %v", m.Explains(), want)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for v, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1KiB", 512 * mib: "512MiB", 512*mib/10*9 + 1: "461MiB", 60*mib + 200<<10: "60.2MiB", 3 << 30: "3GiB", 150*mib + 1: "150MiB"} {
		if got := FormatBytes(v); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", v, got, want)
		}
	}
}
