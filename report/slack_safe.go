package report

import "strings"

// slackSafe escapes text for Slack mrkdwn: with &, < and > escaped, no
// alert label, annotation or function name can form a mention (<@U…>,
// <!channel>), a link or a date token.
func slackSafe(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// truncateRunes cuts s to at most n bytes on a rune boundary, marking the
// cut with an ellipsis.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
