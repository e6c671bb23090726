package exectrace

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
)

// idleBusy is the CPU use (percent of the trace's Ps) under which a
// process counts as idle, so that its waits explain its latency.
const idleBusy = 50

// WaitBound reports whether the trace explains slowness by waiting: the
// goroutines spend most of their time waiting on the network or on
// synchronisation, and the CPU is mostly idle, so a CPU profile would show
// little of why requests are slow. False for nil or without a headline.
func (s *Summary) WaitBound() bool {
	return s != nil && s.Headline != "" && (s.Dominant == Network || s.Dominant == Sync) && s.CPUBusy < idleBusy
}

// Write writes an execution trace summary as plain text: the headline,
// goroutine time by state, what was set apart, and the stacks that waited
// longest on the network and on synchronisation.
func Write(w io.Writer, t *Summary) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "execution trace: %s window, %s, %d Ps (CPU %s busy)\n",
		units.Duration(t.Window), units.Plural(t.Goroutines, "goroutine"), t.Procs, units.FormatPercent(t.CPUBusy))
	if t.Headline != "" {
		fmt.Fprintf(bw, "=> %s\n", t.Headline)
	}
	fmt.Fprintf(bw, "%10s %7s %10s  %s\n", "time", "share", "goroutines", "state")
	for _, st := range t.States {
		fmt.Fprintf(bw, "%10s %7s %10d  %s\n", units.Duration(st.Time), units.FormatPercent(st.Pct), st.Goroutines, st.State)
	}
	if t.Idle > 0 || t.Unknown > 0 || t.Runtime > 0 {
		fmt.Fprintf(bw, "not counted: %s waiting for clients (%s: accept, idle keep-alive, request watch); %s of waits begun before the trace, which does not record why (%s); %s in the runtime's own goroutines (%d)\n",
			units.Duration(t.Idle), units.Plural(t.IdleGoroutines, "goroutine"), units.Duration(t.Unknown), units.Plural(t.UnknownGoroutines, "goroutine"), units.Duration(t.Runtime), t.RuntimeGoroutines)
	}
	writeTraceStacks(bw, "network wait", t.Network)
	writeTraceStacks(bw, "sync block", t.Sync)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write trace summary: %w", err)
	}
	return nil
}

func writeTraceStacks(w io.Writer, title string, stacks []Stack) {
	if len(stacks) == 0 {
		return
	}
	fmt.Fprintf(w, "%10s %7s %10s  %s by stack (innermost first)\n", "time", "share", "goroutines", title)
	for _, s := range stacks {
		fmt.Fprintf(w, "%10s %7s %10d  %s [%s]\n", units.Duration(s.Time), units.FormatPercent(s.Pct), s.Goroutines, s.Caller, s.Reason)
		fmt.Fprintf(w, "%30s  %s\n", "", s.Chain(8))
	}
}

// Chain is the stack's frames from the innermost to one frame past the
// caller, short names joined by ←, at most n of them.
func (s Stack) Chain(n int) string {
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
		parts = append(parts, funcname.Short(frames[0]), "…")
		frames = frames[len(frames)-(n-1):]
	}
	for _, f := range frames {
		parts = append(parts, funcname.Short(f))
	}
	if end < len(s.Frames) {
		parts = append(parts, "…")
	}
	return strings.Join(parts, " ← ")
}
