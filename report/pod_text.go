package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/memory"
	"github.com/alertprof/alertprof/report/pprof"
)

// WritePod writes the plain-text report of one pod: the headline, a line
// per profile with its link or its error, then each profile's analysis
// (top tables by flat and by cum for every view, goroutine groups,
// the execution trace), the memory reconciliation before them.
func WritePod(w io.Writer, pr PodReport) error {
	bw := bufio.NewWriter(w)
	// The pod's one name, as Slack gives it; the address only when it
	// says something more (a static target is named by its address).
	title := cmp.Or(pr.Name, pr.Target)
	fmt.Fprintf(bw, "\n--- %s", title)
	if pr.AlertName != "" {
		fmt.Fprintf(bw, "  alert %s", pr.AlertName)
	}
	if pr.Address != "" && pr.Address != title {
		fmt.Fprintf(bw, "  (%s)", pr.Address)
	}
	fmt.Fprintln(bw, " ---")
	writeBeforeKill(bw, pr.BeforeKill)
	if pr.Headline != "" {
		fmt.Fprintf(bw, "=> %s\n", pr.Headline)
	}
	if s := pr.StillCapturing(); s != "" {
		fmt.Fprintf(bw, "(early report: %s; the report is written again when they land)\n", s)
	}
	if pr.Problem != "" {
		fmt.Fprintf(bw, "no capture: %s\n", pr.Problem)
	}
	writeRestart(bw, pr.Restart)
	if pr.Problem != "" {
		return bw.Flush()
	}
	for _, p := range pr.Profiles {
		if p.Error != "" {
			fmt.Fprintf(bw, "  %-10s FAILED: %s\n", p.Name, p.Error)
			continue
		}
		if p.Pending {
			fmt.Fprintf(bw, "  %-10s %s (pending upload: the object store is unreachable; the profile is kept and uploaded when it returns)\n", p.Name, p.Link)
		} else {
			fmt.Fprintf(bw, "  %-10s %s\n", p.Name, p.Link)
		}
		if p.UILink != "" {
			fmt.Fprintf(bw, "  %-10s open flame graph: %s\n", "", p.UILink)
		}
	}
	if f := pr.Flame; f != nil && f.Key != "" {
		fmt.Fprintf(bw, "  %-10s flame graph of %s (PNG): %s\n", "", f.Profile, cmp.Or(f.Link, f.Key))
	}
	memory.Write(bw, pr.Memory)
	if err := writeSinceHealthy(bw, pr.SinceHealthy, pprof.DefaultTop); err != nil {
		return err
	}
	for _, p := range pr.Profiles {
		if !p.rendered() {
			continue
		}
		fmt.Fprintf(bw, "\n[%s] ", p.Name)
		if err := WriteProfile(bw, p, pprof.DefaultTop); err != nil {
			return err
		}
	}
	if err := writeKilledGrowth(bw, pr.BeforeKill); err != nil {
		return err
	}
	return bw.Flush()
}

// rendered reports whether WriteProfile has an analysis to write.
func (p ProfileReport) rendered() bool {
	return p.Summary != nil || p.Goroutines != nil || p.Trace != nil
}

// WriteProfile writes the analysis of one profile as plain text: its note
// if any, then a pprof
// profile's main summary, then each of its other views; a goroutine dump's
// largest top groups (after its growth since a base dump, if any); an execution trace's summary. The runtime's memory
// statistics are the pod's (see memory.Write), so nothing is written for
// them here.
func WriteProfile(w io.Writer, p ProfileReport, top int) error {
	if p.Note != "" {
		if _, err := fmt.Fprintf(w, "note: %s\n", p.Note); err != nil {
			return fmt.Errorf("write note: %w", err)
		}
	}
	switch {
	case p.Summary != nil:
		if err := pprof.WriteSummary(w, *p.Summary); err != nil {
			return err
		}
		for _, v := range p.Views {
			if _, err := fmt.Fprintln(w); err != nil {
				return fmt.Errorf("write summary: %w", err)
			}
			if err := pprof.WriteSummary(w, v); err != nil {
				return err
			}
		}
	case p.Goroutines != nil:
		if p.GoroutineGrowth != nil {
			if err := goroutines.WriteGrowth(w, p.GoroutineGrowth, top); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(w); err != nil {
				return fmt.Errorf("write goroutines: %w", err)
			}
		}
		return goroutines.Write(w, p.Goroutines, top)
	case p.Trace != nil:
		return exectrace.Write(w, p.Trace)
	}
	return nil
}

// writeRestart writes a pod's restart context: one line per restarted
// container, then the tail of its previous log.
func writeRestart(w io.Writer, r *capture.Restart) {
	if r == nil {
		return
	}
	for _, c := range r.Containers {
		fmt.Fprintf(w, "  restarts   container %s restarted %d times", c.Container, c.RestartCount)
		if c.Reason != "" || c.ExitCode != 0 {
			fmt.Fprintf(w, "; last terminated %s (exit code %d)", cmp.Or(c.Reason, "without a reason"), c.ExitCode)
		}
		if !c.FinishedAt.IsZero() {
			fmt.Fprintf(w, " at %s", c.FinishedAt.UTC().Format(time.RFC3339))
			if !c.StartedAt.IsZero() {
				fmt.Fprintf(w, " after running %s", c.FinishedAt.Sub(c.StartedAt).Round(time.Second))
			}
		}
		fmt.Fprintf(w, "; memory request %s, limit %s\n", cmp.Or(c.MemoryRequest, "none"), cmp.Or(c.MemoryLimit, "none"))
		if c.LogError != "" {
			fmt.Fprintf(w, "  previous log of %s unavailable: %s\n", c.Container, c.LogError)
		}
		if len(c.PreviousLog) > 0 {
			fmt.Fprintf(w, "  previous log of %s (last %d lines):\n", c.Container, len(c.PreviousLog))
			for _, l := range c.PreviousLog {
				fmt.Fprintf(w, "    | %s\n", l)
			}
		}
	}
}
