package slack

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// parentMessage is the incident's first message: what fired, where, since
// when, and links back to Alertmanager. It is also the resolved version
// when inc.Status is "resolved".
func parentMessage(inc report.Incident, mentionID string) ([]slackgo.Block, string) {
	icon, state := ":rotating_light:", "FIRING"
	if inc.Status == "resolved" {
		icon, state = ":white_check_mark:", "RESOLVED"
	}
	name := inc.AlertName
	if name == "" {
		name = "alert"
	}
	// plain_text is never parsed for mentions or links, and shows entities
	// as written: the name goes in as it is.
	header := slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType,
		clip(fmt.Sprintf("%s %s: %s", icon, state, name), maxHeaderLen), true, false))

	fields := []*slackgo.TextBlockObject{
		mrkdwn("*Severity*\n" + orDash(escapeMrkdwn(inc.Severity))),
		mrkdwn("*Status*\n" + state),
		mrkdwn("*Namespace*\n" + orDash(escapeMrkdwn(inc.Labels["namespace"]))),
		mrkdwn("*Started*\n" + slackDate(inc.StartsAt)),
	}
	if len(inc.Targets) > 0 {
		fields = append(fields, mrkdwn(clip("*Pods*\n"+escapeMrkdwn(strings.Join(inc.Targets, ", ")), 2000)))
	}
	if inc.Status == "resolved" && !inc.ResolvedAt.IsZero() {
		fields = append(fields, mrkdwn("*Fired for*\n"+inc.FiredFor().Round(time.Second).String()))
	}
	blocks := []slackgo.Block{header, slackgo.NewSectionBlock(nil, fields, nil)}

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
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(clip(strings.Join(about, "\n"), maxTextLen)), nil, nil))
	}
	if buttons := alertButtons(inc); len(buttons) > 0 {
		blocks = append(blocks, slackgo.NewActionBlock("links", buttons...))
	}
	blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn("alertprof incident `"+escapeMrkdwn(inc.ID)+"`")))
	text := fmt.Sprintf("%s: %s (%s)", state, escapeMrkdwn(name), orDash(escapeMrkdwn(inc.Severity)))
	return blocks, text
}

// alertButtons links to the alert's source and to a pre-filled silence.
// Buttons carry URLs as data, never as mrkdwn, so a URL cannot inject
// markup; only http(s) URLs are used.
func alertButtons(inc report.Incident) []slackgo.BlockElement {
	var out []slackgo.BlockElement
	if u, ok := webURL(inc.GeneratorURL); ok {
		b := slackgo.NewButtonBlockElement("source", "source", slackgo.NewTextBlockObject(slackgo.PlainTextType, "Source", false, false))
		b.URL = u
		out = append(out, b)
	}
	if u, ok := webURL(inc.Annotations["runbook_url"]); ok {
		b := slackgo.NewButtonBlockElement("runbook", "runbook", slackgo.NewTextBlockObject(slackgo.PlainTextType, "Runbook", false, false))
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
		u := strings.TrimRight(base, "/") + "/#/silences/new?filter=" + silenceFilter(ms)
		if len(u) <= maxTextLen {
			b := slackgo.NewButtonBlockElement("silence", "silence", slackgo.NewTextBlockObject(slackgo.PlainTextType, "Silence", false, false))
			b.URL = u
			out = append(out, b)
		}
	}
	return out
}

// silenceFilter encodes matchers for the filter parameter of
// Alertmanager's new-silence page. The UI percent-decodes it without
// turning "+" into a space, so spaces are sent as %20, never as "+".
func silenceFilter(matchers []string) string {
	return strings.ReplaceAll(url.QueryEscape("{"+strings.Join(matchers, ", ")+"}"), "+", "%20")
}

func webURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxTextLen {
		return "", false
	}
	return u.String(), true
}

type slackMessage struct {
	blocks []slackgo.Block
	text   string
	cut    cuts // what of the report did not fit
}

// podMessage is the reply for one pod: what was captured, each profile's
// top table, and links to the raw artifacts.
func podMessage(pr report.PodReport, mentionID string) slackMessage {
	name := pr.PodName()
	title := "*" + escapeMrkdwn(name) + "*"
	if m := mention(mentionID); m != "" {
		title += "  " + m
	}
	if pr.Problem != "" {
		text := ":warning: No capture for " + title + ": " + escapeMrkdwn(pr.Problem) + alertWords(pr.Annotations)
		return slackMessage{blocks: []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(clip(text, maxTextLen)), nil, nil)}, text: "No capture for " + escapeMrkdwn(name)}
	}
	var msg slackMessage
	msg.text = "Evidence for " + escapeMrkdwn(name)
	head := title + "  ·  alert " + escapeMrkdwn(pr.AlertName)
	if pr.Kind != "" {
		head += " (" + escapeMrkdwn(pr.Kind) + ")"
	}
	msg.blocks = append(msg.blocks, slackgo.NewSectionBlock(mrkdwn(clip(head+alertWords(pr.Annotations), maxTextLen)), nil, nil))
	room := maxBlocks - 4 // the title, failures, links and the note on cuts
	if pr.Early() {
		// What is still being captured, right under the title: the
		// headline below is that of what has landed so far.
		msg.blocks = append(msg.blocks, slackgo.NewContextBlock("", mrkdwn(":hourglass_flowing_sand: "+
			escapeMrkdwn(pr.StillCapturing())+"; this reply is updated when they land")))
		room--
	}
	// The capture of the instance that died, if any, comes first.
	if bk, rows := beforeKillBlocks(pr.BeforeKill); len(bk) > 0 {
		msg.text += ": " + clip(escapeMrkdwn(pr.BeforeKill.Lead), maxTextLen/3)
		msg.blocks = append(msg.blocks, bk...)
		msg.cut.Rows += rows
		room -= len(bk)
	}
	var memBlock slackgo.Block
	if pr.Memory != nil {
		text, rows := memorySection(pr.Memory)
		memBlock = slackgo.NewSectionBlock(mrkdwn(text), nil, nil)
		msg.cut.Rows += rows
		room--
	}
	if pr.Memory.Explains() { // an OOM explained comes first
		msg.blocks = append(msg.blocks, memBlock)
		memBlock = nil
	}

	var links, failures, notes []string
	for _, p := range pr.Profiles {
		if p.Note != "" {
			notes = append(notes, ":information_source: *"+escapeMrkdwn(p.Name)+"*: "+escapeMrkdwn(p.Note))
		}
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
	// Room left by the title, failures, links and the note on cuts.
	a := analysisOf(pr)
	if pr.Memory.Explains() {
		a.headline = "" // the memory section above says it
	}
	analysis, cut := a.blocks(room)
	msg.cut.Sections, msg.cut.Rows = cut.Sections, msg.cut.Rows+cut.Rows
	msg.blocks = append(msg.blocks, analysis...)
	if memBlock != nil {
		msg.blocks = append(msg.blocks, memBlock)
	}
	// Failures, then notes on analyses that look empty, in one block.
	var problems []string
	if len(failures) > 0 {
		problems = append(problems, ":warning: "+strings.Join(failures, "\n"))
	}
	if problems = append(problems, notes...); len(problems) > 0 {
		msg.blocks = append(msg.blocks, slackgo.NewSectionBlock(mrkdwn(clip(strings.Join(problems, "\n"), maxTextLen)), nil, nil))
	}
	if len(links) > 0 {
		msg.blocks = append(msg.blocks, slackgo.NewContextBlock("", linkElements("Raw profiles: ", links)...))
	}
	if msg.cut.any() {
		note := "The report was cut to fit Slack; the full report is attached below."
		if pr.Early() {
			note = "The report was cut to fit Slack; the full report is attached below once the capture is complete."
		}
		msg.blocks = append(msg.blocks, slackgo.NewContextBlock("", mrkdwn(note)))
	}
	return msg
}

// alertWords are the lines a pod's reply gives its alert's annotations:
// the summary in bold, the description, and a link to the runbook (a
// link only for an http(s) URL), each escaped, each clipped so that the
// title before them stays.
func alertWords(ann map[string]string) string {
	var b strings.Builder
	if v := ann["summary"]; v != "" {
		b.WriteString("\n*" + clip(escapeMrkdwn(v), maxTextLen/6) + "*")
	}
	if v := ann["description"]; v != "" {
		b.WriteString("\n" + clip(escapeMrkdwn(v), maxTextLen/3))
	}
	if v := ann["runbook_url"]; v != "" {
		if _, ok := webURL(v); ok && len(v) <= maxTextLen/3 {
			b.WriteString("\n:book: " + slackLink(v, "Runbook"))
		} else { // not a link: shown, never followed
			b.WriteString("\n:book: Runbook: `" + clip(strings.ReplaceAll(escapeMrkdwn(v), "`", "'"), maxTextLen/6) + "`")
		}
	}
	return b.String()
}

// resolvedReply closes the thread.
func resolvedReply(inc report.Incident) ([]slackgo.Block, string) {
	d := inc.FiredFor().Round(time.Second)
	text := fmt.Sprintf(":white_check_mark: Resolved after %s.", d)
	return []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(text), nil, nil)}, "Resolved: " + escapeMrkdwn(inc.AlertName)
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

func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// linkElements packs mrkdwn links into context elements of at most
// maxTextLen characters each without cutting a link in two (a cut link
// is broken mrkdwn); a link that fits nowhere is left out.
func linkElements(prefix string, links []string) []slackgo.MixedElement {
	var out []slackgo.MixedElement
	cur := prefix
	for _, l := range links {
		sep := " · "
		if cur == prefix {
			sep = ""
		}
		if len(cur)+len(sep)+len(l) <= maxTextLen {
			cur += sep + l
			continue
		}
		if len(out) == maxContextElements-1 || len(l) > maxTextLen {
			continue
		}
		out = append(out, mrkdwn(cur))
		cur = l
	}
	return append(out, mrkdwn(cur))
}
