package slack

import (
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
	"github.com/alertprof/alertprof/report/pprof"
)

// cuts says what a rendering left out to fit Slack: the sections dropped
// (by what they show) and the table rows cut from sections kept. The
// reply attaches the whole text report when anything was cut.
type cuts struct {
	Sections []string
	Rows     int
}

// any reports whether anything was cut.
func (c cuts) any() bool { return len(c.Sections) > 0 || c.Rows > 0 }

// analysis is what the reply shows of a pod's analysis: its headline, the
// main summary of each pprof profile, the first execution trace and the
// first goroutine dump.
type analysis struct {
	headline string
	sums     []pprof.Summary
	trace    *exectrace.Summary
	dump     *goroutines.Dump
	healthy  *report.SinceHealthy
}

// analysisOf picks what the reply shows of pr; the other views of each
// profile are in the text report.
func analysisOf(pr report.PodReport) analysis {
	a := analysis{headline: pr.Headline, healthy: pr.SinceHealthy}
	for _, p := range pr.Profiles {
		if p.Summary != nil {
			a.sums = append(a.sums, *p.Summary)
		}
		if a.dump == nil && p.Goroutines != nil {
			a.dump = p.Goroutines
		}
		if a.trace == nil && p.Trace != nil {
			a.trace = p.Trace
		}
	}
	return a
}

// blocks renders a pod's analysis as Block Kit blocks: the headline, then
// one section per summary (the top rows by flat, in a code block), the
// execution trace and the goroutine groups. Every string that comes from
// a profile is escaped for mrkdwn, so nothing in it can form a mention or
// a link. At most limit blocks are returned (maxBlocks if limit <= 0 or
// larger) and no text exceeds maxTextLen; what does not fit is cut, the
// last block then says what was cut, and the cuts say it as data.
func (a analysis) blocks(limit int) ([]slackgo.Block, cuts) {
	if limit <= 0 || limit > maxBlocks {
		limit = maxBlocks
	}
	var c cuts
	var sections []string
	var names []string // what each section shows, for the note on cuts
	var rowsCut []int  // rows each section cut to fit
	add := func(text string, rows int, name string) {
		sections = append(sections, text)
		names = append(names, name)
		rowsCut = append(rowsCut, rows)
	}
	if a.headline != "" {
		add("*"+escapeMrkdwn(a.headline)+"*", 0, "headline")
	}
	if a.healthy != nil {
		text, rows := healthySection(a.healthy)
		add(text, rows, "since healthy")
	}
	for _, s := range a.sums {
		text, rows := summarySection(s)
		add(text, rows, s.Kind+" "+s.SampleType)
	}
	if a.trace != nil {
		text, rows := traceSection(a.trace)
		add(text, rows, "execution trace")
	}
	if a.dump != nil {
		text, rows := goroutineSection(a.dump)
		add(text, rows, "goroutine groups")
	}
	blocks := make([]slackgo.Block, 0, min(len(sections), limit))
	for i, text := range sections {
		if len(blocks) == limit-1 && i < len(sections)-1 {
			c.Sections = names[i:]
			note := fmt.Sprintf("_%d more sections cut to fit Slack: %s_", len(c.Sections), escapeMrkdwn(strings.Join(c.Sections, ", ")))
			blocks = append(blocks, slackgo.NewContextBlock("", mrkdwnText(clip(note, maxTextLen))))
			break
		}
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwnText(text), nil, nil))
		c.Rows += rowsCut[i]
	}
	return blocks, c
}

func mrkdwnText(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

// summarySection is one summary as mrkdwn: a title line and a code block
// of rows, cutting rows (and saying how many) to stay within maxTextLen.
func summarySection(s pprof.Summary) (string, int) {
	title, lines := summaryParts(s)
	return fitCode(title, lines, "rows")
}

// summaryParts are a summary's title line and the lines of its table.
func summaryParts(s pprof.Summary) (string, []string) {
	title := fmt.Sprintf("*%s %s*: total %s", escapeMrkdwn(s.Kind), escapeMrkdwn(s.SampleType), units.FormatValue(s.Total, s.Unit))
	if s.Diff {
		title = fmt.Sprintf("*%s %s growth*: total |change| %s", escapeMrkdwn(s.Kind), escapeMrkdwn(s.SampleType), units.FormatValue(s.Total, s.Unit))
	}
	if w := s.Window(); w != "" {
		title += " " + escapeMrkdwn(w)
	}
	if s.Kind == pprof.KindCPU && s.DurationNanos > 0 && !s.Diff {
		title += fmt.Sprintf(" in %s (%s of the window)", units.FormatValue(s.DurationNanos, "nanoseconds"), units.FormatPercent(units.Percent(s.Total, s.DurationNanos)))
	}
	names := funcname.ShortAll(pprof.RowNames(s))
	lines := make([]string, 0, len(s.Rows)+1)
	lines = append(lines, fmt.Sprintf("%9s %7s %9s %7s  %s", "flat", "flat%", "cum", "cum%", "function"))
	for _, r := range s.Rows {
		lines = append(lines, fmt.Sprintf("%9s %7s %9s %7s  %s",
			units.FormatValue(r.Flat, s.Unit), units.SignedPercent(r.FlatPct),
			units.FormatValue(r.Cum, s.Unit), units.SignedPercent(r.CumPct), escapeMrkdwn(names[r.Function])))
	}
	return title, lines
}

// goroutineSection lists the largest goroutine groups.
func goroutineSection(g *goroutines.Dump) (string, int) {
	title := fmt.Sprintf("*goroutines*: %d in %d groups", g.Total, len(g.Groups))
	lines := []string{fmt.Sprintf("%7s  %-28s  %s", "count", "state", "top user frame")}
	for _, gr := range g.Groups[:min(pprof.DefaultTop, len(g.Groups))] {
		lines = append(lines, fmt.Sprintf("%7d  %-28s  %s", gr.Count, escapeMrkdwn("["+gr.Wait()+"]"), escapeMrkdwn(funcname.Short(gr.Top))))
	}
	if rest := len(g.Groups) - pprof.DefaultTop; rest > 0 {
		lines = append(lines, fmt.Sprintf("%7s  … %d more groups", "", rest))
	}
	return fitCode(title, lines, "groups")
}

// fitCode joins title and a code block of lines (the first is a header),
// dropping trailing lines until it fits maxTextLen and noting the cut; it
// returns the text and how many lines it cut.
func fitCode(title string, lines []string, what string) (string, int) {
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
		if s := build(n); len(s) <= maxTextLen {
			return s, len(lines) - n
		}
	}
	return clip(title, maxTextLen), len(lines)
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
