package slack

import (
	"fmt"
	"strings"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/internal/units"
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
		case c.Summary != nil && c.Summary.Headline != nil && c.Summary.Kind != "heap":
			title += fmt.Sprintf("\n%s %s since healthy: %s", escapeMrkdwn(c.Summary.Kind), escapeMrkdwn(c.Summary.SampleType),
				units.FormatValue(c.Summary.Headline.Net, c.Summary.Unit))
		}
	}
	if h := s.Heap(); h != nil {
		head, lines := summaryParts(*h)
		return fitCode(clip(title, maxTextLen/3)+"\n"+head, lines, "rows")
	}
	return clip(title, maxTextLen), 0
}
