package memory

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// memoryLines are the rows of the reconciliation, after a header: what the
// runtime holds, part by part, with the share of the container limit when
// there is one.
func memoryLines(m *Reconciliation) []string {
	s := m.Stats
	row := func(label string, v uint64, pct bool, note string) string {
		p := ""
		if pct && m.Limit > 0 {
			p = pctOf(v, m.Limit)
		}
		return strings.TrimRight(fmt.Sprintf("%-17s %9s %5s  %s", label, FormatBytes(v), p, note), " ")
	}
	lines := []string{
		fmt.Sprintf("%-17s %9s %5s  %s", "", "bytes", "limit", "what it counts"),
		row("heap objects", s.HeapAlloc, true, "HeapAlloc: live objects and garbage not yet swept"),
		row("heap in use", s.HeapInuse, true, "HeapInuse: spans holding objects"),
		row("heap idle, held", m.HeapIdleHeld, true, "HeapIdle-HeapReleased: reserved, unused, not returned to the OS"),
		row("heap released", m.HeapReleased, false, "HeapReleased: returned to the OS"),
		row("stacks", m.Stacks, true, "StackSys"),
		row("runtime metadata", m.Metadata, true, "MSpan+MCache+GCSys+BuckHash+Other"),
		row("runtime holds", m.Held, true, "Sys-HeapReleased: what GOMEMLIMIT counts"),
		row("runtime Sys", s.Sys, false, "everything the runtime has mapped"),
	}
	if s.MaxRSS > 0 {
		lines = append(lines, row("peak RSS", s.MaxRSS, true, "MaxRSS of this process since it started"))
	}
	gc := fmt.Sprintf("NextGC: heap goal; %d GCs, GC CPU %s since start", s.NumGC, strconv.FormatFloat(s.GCCPUFraction*100, 'f', 1, 64)+"%")
	if s.NextGC >= gcOffGoal {
		lines = append(lines, strings.TrimRight(fmt.Sprintf("%-17s %9s %5s  %s", "next GC at", "never", "", gc), " "))
	} else {
		lines = append(lines, row("next GC at", s.NextGC, true, gc))
	}
	b := m.Bounds
	switch {
	case b == nil:
	case b.GoMemLimit > 0:
		note := "GOMEMLIMIT from " + b.GoMemLimitSource
		if b.GoMemLimitNote != "" {
			note += "; " + b.GoMemLimitNote
		}
		lines = append(lines, row("GOMEMLIMIT", uint64(b.GoMemLimit), true, note))
	case b.GoMemLimitSource != "":
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s  %s", "GOMEMLIMIT", "?", "", strings.TrimSpace(b.GoMemLimitSource+"; "+b.GoMemLimitNote)))
	default:
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s  %s", "GOMEMLIMIT", "not set", "", "no GOMEMLIMIT in the container's env"))
	}
	switch {
	case m.Limit > 0:
		note := "container " + b.Container
		if b.RequestText != "" {
			note += ", request " + b.RequestText
		}
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s  %s", "container limit", b.LimitText, "100%", note))
	case b != nil:
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s  %s", "container limit", "none", "", "container "+b.Container+" has no memory limit"))
	default:
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s  %s", "container limit", "unknown", "", "no pod spec to read it from"))
	}
	return lines
}

// Write writes the reconciliation for the console, summary.txt and
// alertprof analyze.
func Write(w io.Writer, m *Reconciliation) {
	if m == nil {
		return
	}
	fmt.Fprintf(w, "\n[memory] %s\n", m.Verdict)
	if m.Termination != "" {
		fmt.Fprintf(w, "  %s\n", m.Termination)
	}
	for _, l := range memoryLines(m) {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
