package memory

import (
	"fmt"
	"strconv"

	"github.com/alertprof/alertprof/capture"
)

// Causes a Reconciliation names; they are few and fixed so that
// tests, JSON readers and headlines can tell them apart.
const (
	// CauseRetained: the runtime keeps much more idle heap than it has
	// live objects (a spike came and went; the memory was not returned).
	CauseRetained = "runtime_retained"
	// CauseOutside: the process's peak RSS exceeds everything the Go
	// runtime ever mapped, so the rest is not Go heap.
	CauseOutside = "outside_runtime"
	// CauseHeapGoal: without GOMEMLIMIT, the GC's next goal plus the
	// runtime's other memory is above the container limit.
	CauseHeapGoal = "heap_goal_above_limit"
	// CauseGCOff: GOGC=off and no GOMEMLIMIT: the heap grows unchecked.
	CauseGCOff = "gc_off"
	// CauseGoMemLimitHigh: GOMEMLIMIT is at or above the container limit.
	CauseGoMemLimitHigh = "gomemlimit_above_limit"
	// CauseGoMemLimitLow: GOMEMLIMIT is far below what the runtime holds,
	// so the GC runs nearly nonstop.
	CauseGoMemLimitLow = "gomemlimit_too_low"
	// CauseNearLimit: heap objects themselves fill most of the limit.
	CauseNearLimit = "heap_near_limit"
	// CauseUnexplained: OOMKilled, but this instance's numbers do not
	// reach the limit.
	CauseUnexplained = "unexplained"
)

// Reconciliation sets a Go process's memory, as its runtime counts
// it, against the container's limit and GOMEMLIMIT, and says in one line
// what explains the alert.
type Reconciliation struct {
	Stats  Stats                 `json:"memstats"`
	Bounds *capture.MemoryBounds `json:"bounds,omitempty"`

	// HeapObjects is HeapAlloc: live objects and garbage not yet swept.
	HeapObjects uint64 `json:"heap_objects_bytes"`
	// HeapInuse is spans holding objects; HeapIdleHeld is idle heap the
	// runtime still holds (HeapIdle-HeapReleased); HeapReleased has been
	// returned to the OS.
	HeapInuse    uint64 `json:"heap_inuse_bytes"`
	HeapIdleHeld uint64 `json:"heap_idle_held_bytes"`
	HeapReleased uint64 `json:"heap_released_bytes"`
	// Stacks is StackSys; Metadata is MSpanSys+MCacheSys+GCSys+
	// BuckHashSys+OtherSys.
	Stacks   uint64 `json:"stacks_bytes"`
	Metadata uint64 `json:"metadata_bytes"`
	// Held is what the runtime holds from the OS, Sys-HeapReleased: the
	// quantity GOMEMLIMIT limits.
	Held uint64 `json:"held_bytes"`
	// Limit is the container's memory limit in bytes; zero when unknown.
	Limit int64 `json:"limit_bytes,omitempty"`

	// Termination describes the last termination of the container when
	// it restarted; it belongs to the previous instance.
	Termination string `json:"termination,omitempty"`
	OOMKilled   bool   `json:"oom_killed,omitempty"`
	// Cause is one of the Cause constants, empty when nothing stands out.
	Cause string `json:"cause,omitempty"`
	// Verdict is the one plain-language line.
	Verdict string `json:"verdict"`
}

// gcOffGoal: a NextGC this large means the GC has no goal (GOGC=off and
// no GOMEMLIMIT).
const gcOffGoal = 1 << 62

// Explains reports whether the verdict explains an OOM kill. A
// GOMEMLIMIT far too low is worth saying first but makes the GC work, it
// does not fill the limit.
func (m *Reconciliation) Explains() bool {
	if m == nil || !m.OOMKilled {
		return false
	}
	switch m.Cause {
	case CauseRetained, CauseOutside, CauseHeapGoal, CauseGCOff, CauseGoMemLimitHigh, CauseNearLimit:
		return true
	}
	return false
}

// Reconcile builds the reconciliation of ms with the container's bounds
// (nil when unknown, as for static targets) and its restart context (nil
// without restarts).
func Reconcile(ms Stats, bounds *capture.MemoryBounds, restart *capture.Restart) *Reconciliation {
	m := &Reconciliation{
		Stats:        ms,
		Bounds:       bounds,
		HeapObjects:  ms.HeapAlloc,
		HeapInuse:    ms.HeapInuse,
		HeapIdleHeld: sub(ms.HeapIdle, ms.HeapReleased),
		HeapReleased: ms.HeapReleased,
		Stacks:       ms.StackSys,
		Metadata:     ms.MSpanSys + ms.MCacheSys + ms.GCSys + ms.BuckHashSys + ms.OtherSys,
		Held:         sub(ms.Sys, ms.HeapReleased),
	}
	if bounds != nil {
		m.Limit = bounds.Limit
	}
	if c := restartOf(restart, bounds); c != nil && (c.Reason != "" || c.ExitCode != 0) {
		m.OOMKilled = c.Reason == "OOMKilled"
		m.Termination = fmt.Sprintf("container %s last terminated %s (exit code %d)", c.Container, orWord(c.Reason, "without a reason"), c.ExitCode)
		if !c.FinishedAt.IsZero() {
			m.Termination += " at " + c.FinishedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		m.Termination += "; that was the previous instance, these statistics are from the one running now"
	}
	m.Cause, m.Verdict = m.verdict()
	return m
}

// restartOf picks the restart record of the captured container.
func restartOf(r *capture.Restart, b *capture.MemoryBounds) *capture.ContainerRestart {
	if r == nil || len(r.Containers) == 0 {
		return nil
	}
	if b != nil {
		for i := range r.Containers {
			if r.Containers[i].Container == b.Container {
				return &r.Containers[i]
			}
		}
		return nil
	}
	return &r.Containers[0]
}

// verdict picks the one explanation the numbers support, most specific
// first.
func (m *Reconciliation) verdict() (cause, text string) {
	s := m.Stats
	gml := int64(0)
	if m.Bounds != nil {
		gml = m.Bounds.GoMemLimit
	}
	lim := m.limitText()
	lead := ""
	switch {
	case m.OOMKilled && m.Limit > 0:
		lead = "OOMKilled at limit " + lim + " (previous instance); "
	case m.OOMKilled:
		lead = "OOMKilled (previous instance); "
	}
	advice := ""
	if gml == 0 && m.Limit > 0 {
		advice = "; set GOMEMLIMIT≈" + FormatBytes(uint64(m.Limit)/10*9) + " (90% of the limit) so the runtime collects and returns memory before the kernel kills it"
	}

	// A GOMEMLIMIT far below what the runtime holds is a setting error
	// that overrides everything else.
	if gml > 0 && uint64(gml) < m.Held/2 {
		t := fmt.Sprintf("GOMEMLIMIT %s is far below the %s the Go runtime holds: the GC runs nearly nonstop (its CPU limiter caps it at half the CPU) and still cannot meet it",
			FormatBytes(uint64(gml)), FormatBytes(m.Held))
		if m.Bounds.GoMemLimitNote != "" {
			t += " (" + m.Bounds.GoMemLimitNote + ")"
		}
		return CauseGoMemLimitLow, lead + t
	}
	// Everything the runtime ever mapped is at most Sys, so a peak RSS
	// well above Sys is memory the Go runtime does not manage. The
	// binary's own pages count in RSS too (tens of MiB for a large one),
	// hence the margin.
	if s.MaxRSS > s.Sys {
		if out := s.MaxRSS - s.Sys; out >= 64<<20 && out >= s.Sys/2 {
			return CauseOutside, lead + fmt.Sprintf("peak RSS %s exceeds all memory the Go runtime has mapped (Sys %s): ~%s is outside the Go heap (cgo or C libraries, mmap'd files, the binary itself)",
				FormatBytes(s.MaxRSS), FormatBytes(s.Sys), FormatBytes(out))
		}
	}
	if m.HeapIdleHeld >= 16<<20 && m.HeapIdleHeld >= s.HeapAlloc {
		what := "the Go runtime holds " + FormatBytes(m.Held) + m.ofLimit(m.Held) + " while heap objects are " + FormatBytes(s.HeapAlloc)
		if lead != "" {
			what = "heap objects are " + FormatBytes(s.HeapAlloc) + " but the Go runtime holds " + FormatBytes(m.Held) + m.ofLimit(m.Held)
		}
		// Fresh heap memory counts as released until it is used, so idle
		// memory still held was in use when the heap was larger.
		return CauseRetained, lead + what + ": " + FormatBytes(m.HeapIdleHeld) +
			" is idle heap left from when the heap was larger (a spike), not yet returned to the OS" + advice
	}
	if gml == 0 && s.NextGC >= gcOffGoal {
		t := "the GC is off (GOGC=off) and there is no GOMEMLIMIT: the heap grows without bound"
		if m.Limit > 0 {
			t += " until the kernel kills it at " + lim
		}
		return CauseGCOff, lead + t + advice
	}
	if gml > 0 && m.Limit > 0 && gml >= m.Limit {
		return CauseGoMemLimitHigh, lead + fmt.Sprintf("GOMEMLIMIT %s is not below the container limit %s: the runtime does not work harder before the kernel kills it; set GOMEMLIMIT≈%s",
			FormatBytes(uint64(gml)), lim, FormatBytes(uint64(m.Limit)/10*9))
	}
	if m.Limit > 0 && gml == 0 && s.NextGC < gcOffGoal {
		// At the goal, the heap objects reach NextGC, growing first into
		// the idle heap held; the rest (fragmentation of the spans in use,
		// stacks, metadata) stays.
		other := sub(m.Held, m.HeapIdleHeld+s.HeapAlloc)
		atGoal := max(m.Held, s.NextGC+other)
		if atGoal > uint64(m.Limit) {
			return CauseHeapGoal, lead + fmt.Sprintf("no GOMEMLIMIT: with %s the GC lets heap objects reach NextGC %s before it collects; with the runtime's other %s that is %s, above the %s limit",
				m.gogcText(), FormatBytes(s.NextGC), FormatBytes(other), FormatBytes(atGoal), lim) + advice
		}
	}
	if m.Limit > 0 && s.HeapAlloc*10 >= uint64(m.Limit)*7 {
		return CauseNearLimit, lead + fmt.Sprintf("heap objects alone are %s%s: the live heap itself is near the limit; see the heap profile for what holds it",
			FormatBytes(s.HeapAlloc), m.ofLimit(s.HeapAlloc))
	}
	if m.OOMKilled {
		return CauseUnexplained, lead + fmt.Sprintf("this instance's Go runtime holds only %s%s and its numbers do not show what filled the limit: the killed instance may have spiked before it died, or memory outside this process counted against the limit (other processes in the container, files in a memory-backed emptyDir)",
			FormatBytes(m.Held), m.ofLimit(m.Held))
	}
	return "", fmt.Sprintf("the Go runtime holds %s%s: heap objects %s, idle heap %s, stacks %s, runtime metadata %s",
		FormatBytes(m.Held), m.ofLimit(m.Held), FormatBytes(s.HeapAlloc), FormatBytes(m.HeapIdleHeld), FormatBytes(m.Stacks), FormatBytes(m.Metadata))
}

func (m *Reconciliation) limitText() string {
	if m.Bounds != nil && m.Bounds.LimitText != "" {
		return m.Bounds.LimitText
	}
	return FormatBytes(uint64(m.Limit))
}

// ofLimit is " (N% of the 512Mi limit)", or "" without a limit.
func (m *Reconciliation) ofLimit(v uint64) string {
	if m.Limit <= 0 {
		return ""
	}
	return " (" + pctOf(v, m.Limit) + " of the " + m.limitText() + " limit)"
}

func (m *Reconciliation) gogcText() string {
	if m.Bounds != nil && m.Bounds.GOGC != "" {
		return "GOGC=" + m.Bounds.GOGC
	}
	return "GOGC=100 (the default, about twice what was live after the last GC)"
}

func pctOf(v uint64, limit int64) string {
	return strconv.FormatFloat(float64(v)*100/float64(limit), 'f', 0, 64) + "%"
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// FormatBytes prints a byte count with binary units: 512MiB, 60.2MiB.
func FormatBytes(v uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, i := float64(v), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 || f == float64(int64(f)) {
		return strconv.FormatFloat(f, 'f', 0, 64) + units[i]
	}
	if f >= 100 {
		return strconv.FormatFloat(f, 'f', 0, 64) + units[i]
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + units[i]
}

// ShareOfLimit is v as a share of the container limit, "42%", or "" when
// no limit is known.
func (m *Reconciliation) ShareOfLimit(v uint64) string {
	if m.Limit <= 0 {
		return ""
	}
	return pctOf(v, m.Limit)
}

// GCOff reports whether the statistics say the GC is off (GOGC=off
// without a memory limit): the heap goal is then out of reach.
func (s Stats) GCOff() bool { return s.NextGC >= gcOffGoal }
