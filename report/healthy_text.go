package report

import (
	"fmt"
	"io"

	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/pprof"
)

// writeSinceHealthy writes the comparison with the healthy baseline: when
// and where it was taken, a link to each baseline profile, then each
// growth as `go tool pprof -base` shows it.
func writeSinceHealthy(w io.Writer, s *SinceHealthy, top int) error {
	if s == nil {
		return nil
	}
	fmt.Fprintf(w, "\nsince healthy: baseline taken %s ago (%s) from %s", agoText(s.Ago), s.TakenAt.UTC().Format("2006-01-02 15:04:05Z"), s.Target)
	if s.Reason != "" {
		fmt.Fprintf(w, ", %s", s.Reason)
	}
	fmt.Fprintln(w)
	for _, c := range s.Comparisons {
		fmt.Fprintf(w, "  %-10s baseline %s\n", c.Base, c.BaseLink)
	}
	for _, c := range s.Comparisons {
		fmt.Fprintf(w, "\n[%s since healthy: -base baseline %s] ", c.Profile, c.Base)
		var err error
		switch {
		case c.Error != "":
			_, err = fmt.Fprintf(w, "not compared: %s\n", c.Error)
		case c.Summary != nil:
			err = pprof.WriteSummary(w, *c.Summary)
		case c.Growth != nil:
			err = goroutines.WriteGrowth(w, c.Growth, top)
		}
		if err != nil {
			return fmt.Errorf("write since healthy: %w", err)
		}
	}
	return nil
}
