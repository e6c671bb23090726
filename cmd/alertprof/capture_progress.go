package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alertprof/alertprof/handler"
)

// followCapture reports a capture's progress on w until it is done or
// ctx ends, and returns its last status: on a terminal one line rewritten
// every second, elsewhere a line every few seconds when it changed. wake,
// when not nil, is closed when the capture ends, so the wait ends at once.
func followCapture(ctx context.Context, w io.Writer, status func(context.Context) (handler.CaptureStatus, error), wake <-chan struct{}) (handler.CaptureStatus, error) {
	tty := isTerminal(w)
	every := 3 * time.Second
	if tty {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := ""
	for {
		st, err := status(ctx)
		if err == nil && st.State == handler.StateDone {
			if tty && last != "" {
				fmt.Fprint(w, "\r\033[K")
			}
			return st, nil
		}
		if err != nil {
			if tty && last != "" {
				fmt.Fprintln(w)
			}
			return st, err
		}
		line := progressLine(st)
		switch {
		case line == "":
		case tty:
			fmt.Fprint(w, "\r\033[K"+line)
		case line != last:
			fmt.Fprintln(w, line)
		}
		last = line
		select {
		case <-wake:
			wake = nil // read the final status at once
		case <-ctx.Done():
			if tty && last != "" {
				fmt.Fprintln(w)
			}
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// progressLine says what a capture is doing: the windows being recorded
// ("capturing cpu from shop/checkout-1: 12s of 30s"), the targets waiting
// for a capture slot, and the targets done.
func progressLine(st handler.CaptureStatus) string {
	var parts []string
	queued, done := 0, 0
	for _, ts := range st.Targets {
		switch ts.State {
		case handler.StateQueued:
			queued++
		case handler.StateCapturing:
			windowed := false
			for _, p := range ts.Profiles {
				if p.Seconds > 0 && p.State == handler.StateCapturing {
					windowed = true
					parts = append(parts, fmt.Sprintf("capturing %s from %s: %ds of %ds", p.Name, cmp.Or(ts.Name, ts.Target), p.ElapsedSeconds, p.Seconds))
				}
			}
			if !windowed {
				parts = append(parts, "capturing from "+cmp.Or(ts.Name, ts.Target))
			}
		default:
			done++
		}
	}
	if queued > 0 {
		parts = append(parts, fmt.Sprintf("%d target(s) waiting for a capture slot", queued))
	}
	if len(parts) > 0 && done > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d done", done, len(st.Targets)))
	}
	return strings.Join(parts, "; ")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
