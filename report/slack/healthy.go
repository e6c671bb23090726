package slack

import (
	"fmt"
	"strings"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
	"github.com/alertprof/alertprof/report/pprof"
)

// healthySection is the comparison with the workload's healthy baseline
// as mrkdwn: when and from which pod it was taken, a link to each
// baseline profile, and the heap's growth since (its top rows, as
// `go tool pprof -base` lists them), or the goroutines'.
func healthySection(s *report.SinceHealthy) (string, int) {
	var links []string
	for _, c := range s.Comparisons {
		if c.BaseLink != "" {
			links = append(links, slackLink(c.BaseLink, c.Base+" baseline"))
		}
	}
	title := fmt.Sprintf("*Since healthy*: baseline taken %s from %s", slackDate(s.TakenAt), escapeMrkdwn(s.Target))
	if len(links) > 0 {
		title += " (" + strings.Join(links, ", ") + ")"
	}
	for _, c := range s.Comparisons {
		switch {
		case c.Error != "":
			title += "\n" + escapeMrkdwn(c.Profile) + " not compared: " + escapeMrkdwn(c.Error)
		case c.Growth != nil:
			title += fmt.Sprintf("\ngoroutines %d → %d (%+d)", c.Growth.Before, c.Growth.After, c.Growth.After-c.Growth.Before)
		case c.Summary != nil && c.Summary.Headline != nil && c.Summary.Kind == pprof.KindGoroutine:
			title += fmt.Sprintf("\ngoroutines %+d since healthy, %s in %s", c.Summary.Headline.Net,
				units.FormatPercent(c.Summary.Headline.Pct), escapeMrkdwn(funcname.Short(c.Summary.Headline.Culprit())))
		}
	}
	if h := s.Heap(); h != nil {
		head, lines := summaryParts(*h)
		return fitCode(clip(title, maxTextLen/3)+"\n"+head, lines, "rows")
	}
	return clip(title, maxTextLen), 0
}
