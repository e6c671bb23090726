package report

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Slack's limits for one message.
const (
	slackMaxBlocks   = 50
	slackMaxText     = 3000 // characters in one text object
	slackHeaderLimit = 150
)

// parentMessage is the incident's first message: what fired, where, since
// when, and links back to Alertmanager. It is also the resolved version
// when inc.Status is "resolved".
func parentMessage(inc Incident, mentionID string) ([]slack.Block, string) {
	icon, state := ":rotating_light:", "FIRING"
	if inc.Status == "resolved" {
		icon, state = ":white_check_mark:", "RESOLVED"
	}
	name := inc.AlertName
	if name == "" {
		name = "alert"
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
		clip(fmt.Sprintf("%s %s: %s", icon, state, escapeMrkdwn(name)), slackHeaderLimit), true, false))

	fields := []*slack.TextBlockObject{
		mrkdwn("*Severity*\n" + orDash(escapeMrkdwn(inc.Severity))),
		mrkdwn("*Status*\n" + state),
		mrkdwn("*Namespace*\n" + orDash(escapeMrkdwn(inc.Labels["namespace"]))),
		mrkdwn("*Started*\n" + slackDate(inc.StartsAt)),
	}
	if len(inc.Targets) > 0 {
		fields = append(fields, mrkdwn(clip("*Pods*\n"+escapeMrkdwn(strings.Join(inc.Targets, ", ")), 2000)))
	}
	if inc.Status == "resolved" && !inc.ResolvedAt.IsZero() {
		fields = append(fields, mrkdwn("*Duration*\n"+inc.ResolvedAt.Sub(inc.OpenedAt).Round(time.Second).String()))
	}
	blocks := []slack.Block{header, slack.NewSectionBlock(nil, fields, nil)}

	var about []string
	if v := inc.Annotations["summary"]; v != "" {
		about = append(about, "*"+escapeMrkdwn(v)+"*")
	}
	if v := inc.Annotations["description"]; v != "" {
		about = append(about, escapeMrkdwn(v))
	}
	if m := mention(mentionID); m != "" {
		about = append(about, "Owner: "+m)
	}
	if len(about) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(clip(strings.Join(about, "\n"), slackMaxText)), nil, nil))
	}
	if buttons := alertButtons(inc); len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("links", buttons...))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn("alertprof incident `"+escapeMrkdwn(inc.ID)+"`")))
	text := fmt.Sprintf("%s: %s (%s)", state, escapeMrkdwn(name), orDash(escapeMrkdwn(inc.Severity)))
	return blocks, text
}

// alertButtons links to the alert's source and to a pre-filled silence.
// Buttons carry URLs as data, never as mrkdwn, so a URL cannot inject
// markup; only http(s) URLs are used.
func alertButtons(inc Incident) []slack.BlockElement {
	var out []slack.BlockElement
	if u, ok := webURL(inc.GeneratorURL); ok {
		b := slack.NewButtonBlockElement("source", "source", slack.NewTextBlockObject(slack.PlainTextType, "Source", false, false))
		b.URL = u
		out = append(out, b)
	}
	if base, ok := webURL(inc.ExternalURL); ok && len(inc.Labels) > 0 {
		keys := make([]string, 0, len(inc.Labels))
		for k := range inc.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var ms []string
		for _, k := range keys {
			ms = append(ms, k+"="+strconv.Quote(inc.Labels[k]))
		}
		u := strings.TrimRight(base, "/") + "/#/silences/new?filter=" + url.QueryEscape("{"+strings.Join(ms, ", ")+"}")
		if len(u) <= slackMaxText {
			b := slack.NewButtonBlockElement("silence", "silence", slack.NewTextBlockObject(slack.PlainTextType, "Silence", false, false))
			b.URL = u
			out = append(out, b)
		}
	}
	return out
}

func webURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > slackMaxText {
		return "", false
	}
	return u.String(), true
}

type slackMessage struct {
	blocks    []slack.Block
	text      string
	truncated bool // some of the report did not fit
}

// podMessage is the reply for one pod: what was captured, each profile's
// top table, and links to the raw artifacts.
func podMessage(pr PodReport, mentionID string) slackMessage {
	title := "*" + escapeMrkdwn(pr.Target) + "*"
	if m := mention(mentionID); m != "" {
		title += "  " + m
	}
	if pr.Problem != "" {
		text := ":warning: No capture for " + title + ": " + escapeMrkdwn(pr.Problem)
		return slackMessage{blocks: []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, slackMaxText)), nil, nil)}, text: "No capture for " + escapeMrkdwn(pr.Target)}
	}
	var msg slackMessage
	msg.text = "Evidence for " + escapeMrkdwn(pr.Target)
	head := title + "  ·  alert " + escapeMrkdwn(pr.AlertName)
	if pr.Kind != "" {
		head += " (" + escapeMrkdwn(pr.Kind) + ")"
	}
	msg.blocks = append(msg.blocks, slack.NewSectionBlock(mrkdwn(head), nil, nil))
	room := slackMaxBlocks - 4 // the title, failures, links and the note on cuts
	var memory slack.Block
	if pr.Memory != nil {
		memory = slack.NewSectionBlock(mrkdwn(memorySection(pr.Memory)), nil, nil)
		room--
	}
	if pr.Memory.Explains() { // an OOM explained comes first
		msg.blocks = append(msg.blocks, memory)
		memory = nil
	}

	var links, failures []string
	for _, p := range pr.Profiles {
		switch {
		case p.Error != "" && p.Link == "":
			failures = append(failures, "*"+escapeMrkdwn(p.Name)+"* failed: "+escapeMrkdwn(p.Error))
		case p.Link != "":
			label := p.Name
			if p.Pending {
				label += " (pending upload)"
			}
			link := slackLink(p.Link, label)
			if p.UILink != "" {
				link += " (" + slackLink(p.UILink, "open flame graph") + ")"
			}
			links = append(links, link)
			if p.Error != "" {
				failures = append(failures, "*"+escapeMrkdwn(p.Name)+"*: "+escapeMrkdwn(p.Error))
			}
		}
	}
	var sums []Summary
	var g *Goroutines
	var tr *TraceSummary
	for _, p := range pr.Profiles {
		if p.Summary != nil {
			sums = append(sums, *p.Summary)
		}
		if g == nil && p.Goroutines != nil {
			g = p.Goroutines
		}
		if tr == nil && p.Trace != nil {
			tr = p.Trace
		}
	}
	// Room left by the title, failures, links and the note on cuts.
	analysis := TraceBlocks(sums, g, tr, TraceLeads(pr.Kind, tr), room)
	for _, b := range analysis {
		if blockMentionsCut(b) {
			msg.truncated = true
		}
	}
	msg.blocks = append(msg.blocks, analysis...)
	if memory != nil {
		msg.blocks = append(msg.blocks, memory)
	}
	if len(failures) > 0 {
		msg.blocks = append(msg.blocks, slack.NewSectionBlock(mrkdwn(clip(":warning: "+strings.Join(failures, "\n"), slackMaxText)), nil, nil))
	}
	if len(links) > 0 {
		msg.blocks = append(msg.blocks, slack.NewContextBlock("", linkElements("Raw profiles: ", links)...))
	}
	if msg.truncated {
		msg.blocks = append(msg.blocks, slack.NewContextBlock("", mrkdwn("The report was cut to fit Slack; the full report is attached below.")))
	}
	return msg
}

// resolvedReply closes the thread.
func resolvedReply(inc Incident) ([]slack.Block, string) {
	d := inc.ResolvedAt.Sub(inc.OpenedAt).Round(time.Second)
	text := fmt.Sprintf(":white_check_mark: Resolved after %s.", d)
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}, "Resolved: " + escapeMrkdwn(inc.AlertName)
}

// slackLink makes <url|label> with both parts escaped; a URL we built can
// hold & (presigned queries), which Slack wants as &amp;.
func slackLink(u, label string) string {
	if _, ok := webURL(u); !ok {
		return escapeMrkdwn(label) + ": `" + escapeMrkdwn(u) + "`"
	}
	return "<" + escapeMrkdwn(u) + "|" + strings.ReplaceAll(escapeMrkdwn(label), "|", "¦") + ">"
}

func slackDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format(time.RFC3339))
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// blockMentionsCut reports whether Blocks had to cut rows or sections
// from b to fit Slack; the whole report is then attached as a file.
func blockMentionsCut(b slack.Block) bool {
	var text *slack.TextBlockObject
	switch x := b.(type) {
	case *slack.SectionBlock:
		text = x.Text
	case *slack.ContextBlock:
		for _, e := range x.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				text = t
			}
		}
	}
	return text != nil && strings.Contains(text.Text, "cut to fit Slack")
}

// slackMaxContextElements is the most elements Slack takes in a context block.
const slackMaxContextElements = 10

// linkElements packs mrkdwn links into context elements of at most
// slackMaxText characters each without cutting a link in two (a cut link
// is broken mrkdwn); a link that fits nowhere is left out.
func linkElements(prefix string, links []string) []slack.MixedElement {
	var out []slack.MixedElement
	cur := prefix
	for _, l := range links {
		sep := " · "
		if cur == prefix {
			sep = ""
		}
		if len(cur)+len(sep)+len(l) <= slackMaxText {
			cur += sep + l
			continue
		}
		if len(out) == slackMaxContextElements-1 || len(l) > slackMaxText {
			continue
		}
		out = append(out, mrkdwn(cur))
		cur = l
	}
	return append(out, mrkdwn(cur))
}
