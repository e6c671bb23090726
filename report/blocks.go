package report

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// Slack's limits for one message.
const (
	// MaxBlocks is the most blocks Slack accepts in one message.
	MaxBlocks = 50
	// MaxTextLen is the most characters Slack accepts in one text field.
	MaxTextLen = 3000
)

// Blocks renders the analysis of one pod as Slack Block Kit blocks: the
// headline, then one section per summary (the top rows by flat, in a code
// block) and one for the goroutine groups. Every string that comes from a
// profile is escaped for mrkdwn, so nothing in it can form a mention or a
// link. At most maxBlocks blocks are returned (MaxBlocks if maxBlocks <= 0
// or larger) and no text exceeds MaxTextLen; what does not fit is cut, and
// the last block then says what was cut.
func Blocks(sums []Summary, g *Goroutines, maxBlocks int) []slack.Block {
	return TraceBlocks(sums, g, nil, false, maxBlocks)
}

// TraceBlocks is Blocks with an execution trace summary t (nil for none),
// shown after the summaries; lead puts its headline first (TraceLeads).
func TraceBlocks(sums []Summary, g *Goroutines, t *TraceSummary, lead bool, maxBlocks int) []slack.Block {
	if maxBlocks <= 0 || maxBlocks > MaxBlocks {
		maxBlocks = MaxBlocks
	}
	var sections []string
	var names []string // what each section shows, for the note on cuts
	h := PodHeadline(sums, g)
	if lead && t != nil && t.Headline != "" {
		h = t.Headline
	}
	if h != "" {
		sections = append(sections, "*"+escapeMrkdwn(h)+"*")
		names = append(names, "headline")
	}
	for _, s := range sums {
		sections = append(sections, summarySection(s))
		names = append(names, s.Kind+" "+s.SampleType)
	}
	if t != nil {
		sections = append(sections, traceSection(t))
		names = append(names, "execution trace")
	}
	if g != nil {
		sections = append(sections, goroutineSection(g))
		names = append(names, "goroutine groups")
	}
	blocks := make([]slack.Block, 0, min(len(sections), maxBlocks))
	for i, text := range sections {
		if len(blocks) == maxBlocks-1 && i < len(sections)-1 {
			cut := names[i:]
			note := fmt.Sprintf("_%d more sections cut to fit Slack: %s_", len(cut), escapeMrkdwn(strings.Join(cut, ", ")))
			blocks = append(blocks, slack.NewContextBlock("", mrkdwnText(clip(note, MaxTextLen))))
			break
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(text), nil, nil))
	}
	return blocks
}

func mrkdwnText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// summarySection is one summary as mrkdwn: a title line and a code block
// of rows, cutting rows (and saying how many) to stay within MaxTextLen.
func summarySection(s Summary) string {
	title := fmt.Sprintf("*%s %s*: total %s", escapeMrkdwn(s.Kind), escapeMrkdwn(s.SampleType), FormatValue(s.Total, s.Unit))
	if s.Diff {
		title = fmt.Sprintf("*%s %s growth*: total |change| %s", escapeMrkdwn(s.Kind), escapeMrkdwn(s.SampleType), FormatValue(s.Total, s.Unit))
	}
	if s.Kind == kindCPU && s.DurationNanos > 0 && !s.Diff {
		title += fmt.Sprintf(" in %s (%s of the window)", FormatValue(s.DurationNanos, "nanoseconds"), formatPercent(percent(s.Total, s.DurationNanos)))
	}
	names := shortNames(rowNames(s))
	lines := make([]string, 0, len(s.Rows)+1)
	lines = append(lines, fmt.Sprintf("%9s %7s %9s %7s  %s", "flat", "flat%", "cum", "cum%", "function"))
	for _, r := range s.Rows {
		lines = append(lines, fmt.Sprintf("%9s %7s %9s %7s  %s",
			FormatValue(r.Flat, s.Unit), signedPercent(r.FlatPct),
			FormatValue(r.Cum, s.Unit), signedPercent(r.CumPct), escapeMrkdwn(names[r.Function])))
	}
	return fitCode(title, lines, "rows")
}

// goroutineSection lists the largest goroutine groups.
func goroutineSection(g *Goroutines) string {
	title := fmt.Sprintf("*goroutines*: %d in %d groups", g.Total, len(g.Groups))
	lines := []string{fmt.Sprintf("%7s  %-28s  %s", "count", "state", "top user frame")}
	for _, gr := range g.Groups[:min(defaultTop, len(g.Groups))] {
		lines = append(lines, fmt.Sprintf("%7d  %-28s  %s", gr.Count, escapeMrkdwn("["+gr.Wait()+"]"), escapeMrkdwn(shortName(gr.Top))))
	}
	if rest := len(g.Groups) - defaultTop; rest > 0 {
		lines = append(lines, fmt.Sprintf("%7s  … %d more groups", "", rest))
	}
	return fitCode(title, lines, "groups")
}

// fitCode joins title and a code block of lines (the first is a header),
// dropping trailing lines until it fits MaxTextLen and noting the cut.
func fitCode(title string, lines []string, what string) string {
	build := func(n int) string {
		var b strings.Builder
		b.WriteString(title)
		b.WriteString("\n```\n")
		for _, l := range lines[:n] {
			b.WriteString(clip(l, 200))
			b.WriteByte('\n')
		}
		b.WriteString("```")
		if n < len(lines) {
			fmt.Fprintf(&b, "\n_%d %s cut to fit Slack_", len(lines)-n, what)
		}
		return b.String()
	}
	for n := len(lines); n > 0; n-- {
		if s := build(n); len(s) <= MaxTextLen {
			return s
		}
	}
	return clip(title, MaxTextLen)
}

// escapeMrkdwn escapes &, < and > so that text from a profile or an alert
// cannot form a mention (<@U…>, <!channel>), a link or a date in mrkdwn.
func escapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip cuts s to at most n bytes on a rune boundary, ending in "…", and
// never inside an escape such as "&amp;".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	if amp := strings.LastIndexByte(s[:cut], '&'); amp >= 0 && !strings.Contains(s[amp:cut], ";") {
		cut = amp
	}
	return s[:cut] + "…"
}
