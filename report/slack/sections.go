package slack

import (
	"fmt"
	"strings"

	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
	"github.com/alertprof/alertprof/report/memory"
)

// memorySection is the reconciliation as Slack mrkdwn, compact: the
// verdict, then the main rows (bytes and share of the limit) in a code
// block; summary.txt has every row with what it counts.
func memorySection(m *memory.Reconciliation) (string, int) {
	title := "*memory*: " + escapeMrkdwn(m.Verdict)
	if m.Termination != "" {
		title += "\n_" + escapeMrkdwn(m.Termination) + "_"
	}
	s := m.Stats
	row := func(label string, v uint64) string {
		p := ""
		if m.Limit > 0 {
			p = m.ShareOfLimit(v)
		}
		return strings.TrimRight(fmt.Sprintf("%-17s %9s %5s", label, memory.FormatBytes(v), p), " ")
	}
	lines := []string{
		fmt.Sprintf("%-17s %9s %5s", "", "bytes", "limit"),
		row("heap objects", s.HeapAlloc),
		row("heap idle, held", m.HeapIdleHeld),
		row("stacks+metadata", m.Stacks+m.Metadata),
		row("runtime holds", m.Held),
	}
	if s.MaxRSS > 0 {
		lines = append(lines, row("peak RSS", s.MaxRSS))
	}
	if !s.GCOff() {
		lines = append(lines, row("next GC at", s.NextGC))
	}
	if b := m.Bounds; b != nil && b.GoMemLimit > 0 {
		lines = append(lines, row("GOMEMLIMIT", uint64(b.GoMemLimit)))
	}
	// The same words as the text report: a limit, none, or unknown.
	switch {
	case m.Limit > 0:
		lines = append(lines, fmt.Sprintf("%-17s %9s %5s", "container limit", escapeMrkdwn(m.Bounds.LimitText), "100%"))
	case m.Bounds != nil:
		lines = append(lines, fmt.Sprintf("%-17s %9s", "container limit", "none"))
	default:
		lines = append(lines, fmt.Sprintf("%-17s %9s  %s", "container limit", "unknown", "(no pod spec to read it from)"))
	}
	if m.Limit == 0 {
		lines[0] = fmt.Sprintf("%-17s %9s", "", "bytes") // no share-of-limit column
	}
	return fitCode(clip(title, maxTextLen/2), lines, "rows")
}

// traceSection is the trace summary as compact mrkdwn for Slack: the
// state split on one line and the top three stacks of each wait.
func traceSection(t *exectrace.Summary) (string, int) {
	title := fmt.Sprintf("*execution trace*: %s, %s, CPU %s busy", units.Duration(t.Window), units.Plural(t.Goroutines, "goroutine"), units.FormatPercent(t.CPUBusy))
	if t.Headline != "" {
		title += "\n" + escapeMrkdwn(t.Headline)
	}
	var split []string
	for _, st := range t.States {
		if st.Time > 0 {
			split = append(split, fmt.Sprintf("%s %s", st.State, units.FormatPercent(st.Pct)))
		}
	}
	lines := []string{strings.Join(split, " · ")}
	for _, part := range []struct {
		name   string
		stacks []exectrace.Stack
	}{{"network", t.Network}, {"sync", t.Sync}} {
		for _, s := range part.stacks[:min(3, len(part.stacks))] {
			lines = append(lines, fmt.Sprintf("%-7s %9s %7s %4d  %s", part.name, units.Duration(s.Time), units.FormatPercent(s.Pct), s.Goroutines, escapeMrkdwn(funcname.Short(s.Caller))))
		}
	}
	return fitCode(title, lines, "lines")
}
