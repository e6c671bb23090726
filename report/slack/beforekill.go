package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// beforeKillBlocks lead the reply of a pod killed for its memory with the
// capture taken before the kill: its sentence and the comparison of the
// killed heap with the new one, the links to the earlier capture, and
// what the killed instance held beyond the new one as a table. It also
// returns the table rows cut to fit.
func beforeKillBlocks(bk *report.BeforeKill) ([]slackgo.Block, int) {
	if bk == nil {
		return nil, 0
	}
	text := ":skull: *" + escapeMrkdwn(bk.Lead) + "*"
	if g := bk.GrowthLine(); g != "" {
		text += "\n" + escapeMrkdwn(g)
	}
	if bk.GrowthError != "" {
		text += "\n_" + escapeMrkdwn(bk.GrowthError) + "_"
	}
	blocks := []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(clip(text, maxTextLen)), nil, nil)}
	var links []string
	if bk.RecordLink != "" {
		links = append(links, slackLink(bk.RecordLink, "incident.json"))
	}
	if bk.SummaryLink != "" {
		links = append(links, slackLink(bk.SummaryLink, "summary.txt"))
	}
	for _, p := range bk.Profiles {
		if p.Link != "" {
			links = append(links, slackLink(p.Link, p.Name))
		}
	}
	if len(links) > 0 {
		blocks = append(blocks, slackgo.NewContextBlock("", linkElements("Before the kill: ", links)...))
	}
	rows := 0
	if bk.Growth != nil {
		var table string
		table, rows = summarySection(*bk.Growth)
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(table), nil, nil))
	}
	return blocks, rows
}
