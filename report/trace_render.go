package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// traceLeadBusy is the CPU use (percent of the trace's Ps) under which a
// process counts as idle, so that its waits explain its latency.
const traceLeadBusy = 50

// TraceLeads reports whether the trace's headline should be the pod's: the
// alert is about latency, the goroutines spend most of their time waiting
// on the network or on synchronisation, and the CPU is mostly idle, so a
// CPU profile would show little of why requests are slow.
func TraceLeads(kind string, t *TraceSummary) bool {
	return kind == capture.KindLatency && t != nil && t.Headline != "" &&
		(t.Dominant == TraceNetwork || t.Dominant == TraceSync) && t.CPUBusy < traceLeadBusy
}

// WriteTrace writes an execution trace summary as plain text: the headline,
// goroutine time by state, what was set apart, and the stacks that waited
// longest on the network and on synchronisation.
func WriteTrace(w io.Writer, t *TraceSummary) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "execution trace: %s window, %s, %d Ps (CPU %s busy)\n",
		fmtDur(t.Window), plural(t.Goroutines, "goroutine"), t.Procs, formatPercent(t.CPUBusy))
	if t.Headline != "" {
		fmt.Fprintf(bw, "=> %s\n", t.Headline)
	}
	fmt.Fprintf(bw, "%10s %7s %10s  %s\n", "time", "share", "goroutines", "state")
	for _, st := range t.States {
		fmt.Fprintf(bw, "%10s %7s %10d  %s\n", fmtDur(st.Time), formatPercent(st.Pct), st.Goroutines, st.State)
	}
	if t.Idle > 0 || t.Unknown > 0 || t.Runtime > 0 {
		fmt.Fprintf(bw, "not counted: %s waiting for clients (%s: accept, idle keep-alive, request watch); %s of waits begun before the trace, which does not record why (%s); %s in the runtime's own goroutines (%d)\n",
			fmtDur(t.Idle), plural(t.IdleGoroutines, "goroutine"), fmtDur(t.Unknown), plural(t.UnknownGoroutines, "goroutine"), fmtDur(t.Runtime), t.RuntimeGoroutines)
	}
	writeTraceStacks(bw, "network wait", t.Network)
	writeTraceStacks(bw, "sync block", t.Sync)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write trace summary: %w", err)
	}
	return nil
}

func writeTraceStacks(w io.Writer, title string, stacks []TraceStack) {
	if len(stacks) == 0 {
		return
	}
	fmt.Fprintf(w, "%10s %7s %10s  %s by stack (innermost first)\n", "time", "share", "goroutines", title)
	for _, s := range stacks {
		fmt.Fprintf(w, "%10s %7s %10d  %s [%s]\n", fmtDur(s.Time), formatPercent(s.Pct), s.Goroutines, s.Caller, s.Reason)
		fmt.Fprintf(w, "%30s  %s\n", "", traceChain(s, 8))
	}
}

// traceChain is a stack's frames from the innermost to one frame past the
// caller, short names joined by ←, at most n of them.
func traceChain(s TraceStack, n int) string {
	end := len(s.Frames)
	for i, f := range s.Frames {
		if f == s.Caller {
			end = min(i+2, len(s.Frames))
			break
		}
	}
	frames := s.Frames[:end]
	var parts []string
	if len(frames) > n {
		// Keep the innermost frame and the ones nearest the caller.
		parts = append(parts, shortName(frames[0]), "…")
		frames = frames[len(frames)-(n-1):]
	}
	for _, f := range frames {
		parts = append(parts, shortName(f))
	}
	if end < len(s.Frames) {
		parts = append(parts, "…")
	}
	return strings.Join(parts, " ← ")
}

// traceSection is the trace summary as compact mrkdwn for Slack: the
// state split on one line and the top three stacks of each wait.
func traceSection(t *TraceSummary) string {
	title := fmt.Sprintf("*execution trace*: %s, %s, CPU %s busy", fmtDur(t.Window), plural(t.Goroutines, "goroutine"), formatPercent(t.CPUBusy))
	if t.Headline != "" {
		title += "\n" + escapeMrkdwn(t.Headline)
	}
	var split []string
	for _, st := range t.States {
		if st.Time > 0 {
			split = append(split, fmt.Sprintf("%s %s", st.State, formatPercent(st.Pct)))
		}
	}
	lines := []string{strings.Join(split, " · ")}
	for _, part := range []struct {
		name   string
		stacks []TraceStack
	}{{"network", t.Network}, {"sync", t.Sync}} {
		for _, s := range part.stacks[:min(3, len(part.stacks))] {
			lines = append(lines, fmt.Sprintf("%-7s %9s %7s %4d  %s", part.name, fmtDur(s.Time), formatPercent(s.Pct), s.Goroutines, escapeMrkdwn(shortName(s.Caller))))
		}
	}
	return fitCode(title, lines, "lines")
}

// fmtDur prints a duration as pprof prints times.
func fmtDur(d time.Duration) string { return FormatValue(int64(d), "nanoseconds") }
