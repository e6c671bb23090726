//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/slackrec"
)

// TestMemoryAlertReplyIsPostedEarlyThenUpdated: a memory alert about a
// real Go process whose heap grows. alertprof serve posts the pod's reply
// to the Slack recorder as soon as its instant profiles are analysed,
// saying the heap growth is still being captured, and once the growth
// window's snapshot lands edits that same reply (chat.update on its ts)
// with the growth's headline: exactly one reply, edited as each window lands. The
// summary and incident.json end with the final report, the record with
// the reply's ts.
func TestMemoryAlertReplyIsPostedEarlyThenUpdated(t *testing.T) {
	const token, slackToken = "e2e-progressive-token", "xoxb-e2e-progressive"
	slack := slackrec.New(t, slackToken)
	targetAddr := launchDemoTarget(t, "demo-target")
	serve := startServer(t, t.TempDir(), serveConfig{token: token, env: []string{"SLACK_BOT_TOKEN=" + slackToken}, yaml: fmt.Sprintf(`capture:
  heap_growth_window: 5s
slack:
  channel: C0MEMORY
  api_url: %s
log:
  level: debug
`, slack.URL)})

	body := fmt.Sprintf(`{"version":"4","groupKey":"progressive","status":"firing","receiver":"alertprof",
"commonLabels":{"alertname":"DemoHeapGrowing"},
"alerts":[{"status":"firing","labels":{"alertname":"DemoHeapGrowing","instance":%q,"alertprof_kind":"memory"},
"startsAt":%q,"fingerprint":"f1"}]}`, targetAddr, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
	sendWebhook(t, serve.addr, token, body, "the memory alert")

	podReplies := func() []slackrec.Call {
		var out []slackrec.Call
		for _, c := range slack.Calls("chat.postMessage") {
			if c.ThreadTS() != "" {
				out = append(out, c)
			}
		}
		return out
	}
	edits := func(ts string) []slackrec.Call {
		var out []slackrec.Call
		for _, c := range slack.Calls("chat.update") {
			if c.TS() == ts {
				out = append(out, c)
			}
		}
		return out
	}
	waitUntil(t, 60*time.Second, "the pod's reply", func() bool { return len(podReplies()) >= 1 })
	reply := podReplies()[0]
	early := allText(t, reply)
	if !strings.Contains(early, "still capturing: heap growth (5 s)") || !strings.Contains(early, "inuse heap") {
		t.Fatalf("the first reply does not lead with the heap and say the growth is still being captured:\n%s", early)
	}
	// The memory plan has two windows that end together, the heap growth
	// and the allocations over it (5 s): an edit as each lands, unless
	// the two come as one, the last one final.
	waitUntil(t, 60*time.Second, "the reply's final edit", func() bool {
		ups := edits(reply.Posted)
		return len(ups) >= 1 && !strings.Contains(allText(t, ups[len(ups)-1]), "still capturing")
	})
	time.Sleep(2 * time.Second) // a second reply or edit would show up now

	if n := len(podReplies()); n != 1 {
		t.Fatalf("%d pod replies, want exactly one", n)
	}
	ups := edits(reply.Posted)
	if len(ups) < 1 || len(ups) > 2 {
		t.Fatalf("%d edits of the reply, want one per window (at most 2)", len(ups))
	}
	for _, up := range ups {
		if up.Channel() != reply.Channel() || !reply.At.Before(up.At) {
			t.Fatalf("an edit in channel %q at %s; the reply is in %q at %s", up.Channel(), up.At, reply.Channel(), reply.At)
		}
	}
	final := allText(t, ups[len(ups)-1])
	if strings.Contains(final, "still capturing") || !strings.Contains(final, "inuse heap grew") || !strings.Contains(final, "(*sessionCache).remember") {
		t.Fatalf("the edited reply does not lead with the heap growth under the leak:\n%s", final)
	}
	if strings.Contains(early, "inuse heap grew") {
		t.Fatalf("the early reply already has a growth headline:\n%s", early)
	}

	var rec struct {
		Pods []struct {
			Reply     string            `json:"reply"`
			Headline  string            `json:"headline"`
			Capturing []json.RawMessage `json:"capturing"`
		} `json:"pods"`
	}
	waitUntil(t, 10*time.Second, "incident.json with the final report", func() bool {
		b, err := os.ReadFile(findFile(serve.store, "incident.json"))
		rec.Pods = nil
		return err == nil && json.Unmarshal(b, &rec) == nil && len(rec.Pods) == 1 && len(rec.Pods[0].Capturing) == 0
	})
	if rec.Pods[0].Reply != reply.Posted || !strings.Contains(rec.Pods[0].Headline, "grew") {
		t.Fatalf("incident.json: reply %q (want %q), headline %q", rec.Pods[0].Reply, reply.Posted, rec.Pods[0].Headline)
	}
	summary, err := os.ReadFile(findFile(serve.store, "summary.txt"))
	if err != nil || strings.Contains(string(summary), "still capturing") || !strings.Contains(string(summary), "=> inuse heap grew") {
		t.Fatalf("summary.txt (%v) is not the final report:\n%s", err, summary)
	}
}
