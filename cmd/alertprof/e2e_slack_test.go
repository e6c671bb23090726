//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/slackrec"
)

// TestSlackThreadThroughRealAlertmanager: a real Alertmanager sends a
// group of three pods through firing, repeats and resolved, and alertprof
// is killed and restarted in between. The Slack side must see exactly one
// thread: one parent, three pod replies and one resolved reply in it, one
// update of the parent, and nothing from the alert able to ping anyone.
// Each pod has one name in the parent and its reply, its reply gives its
// own alert's words, the header shows the alert's name as written, and
// the resolved reply says how long the alerts fired by their own times.
func TestSlackThreadThroughRealAlertmanager(t *testing.T) {
	work := t.TempDir()
	const token, slackToken = "e2e-slack-webhook-token", "xoxb-e2e-slack-token"
	slack := slackrec.New(t, slackToken)

	var targets []string
	for i := range 3 {
		targets = append(targets, launchDemoTarget(t, fmt.Sprintf("target-%d", i)))
	}

	apAddr := freeAddr(t)
	cfgPath := filepath.Join(work, "alertprof.yaml")
	writeFile(t, cfgPath, fmt.Sprintf(`listen: %s
store:
  local:
    dir: %s
capture:
  cpu_seconds: 1
  profiles: [heap, goroutine, cpu]
slack:
  channel: C0INCIDENTS
  api_url: %s
log:
  level: debug
`, apAddr, filepath.Join(work, "artifacts"), slack.URL))
	startServe := func(name string) *proc {
		p := startProc(t, name, binary, "serve", "--config", cfgPath)
		p.cmd.Env = append(os.Environ(), "ALERTPROF_WEBHOOK_TOKEN="+token, "SLACK_BOT_TOKEN="+slackToken)
		p.start(t)
		waitHTTP(t, "http://"+apAddr+"/readyz")
		return p
	}
	serve := startServe("alertprof")

	amAddr := startAlertmanager(t, work, "[alertname]", "3s", apAddr, token)

	const evil = "<!channel> <!here> <@U0BOSS> <https://evil.example|click here>"
	const alertname = "PodHeapGrowing <!channel> a<b"
	startsAt := time.Now().Add(-time.Minute).Truncate(time.Second)
	fire := func(endsAt time.Time) {
		var alerts []amAlert
		for i, addr := range targets {
			alerts = append(alerts, amAlert{
				Labels: map[string]string{"alertname": alertname, "severity": "critical", "instance": addr, "pod": fmt.Sprintf("api-%d", i), "note": evil, "alertprof_kind": "default"},
				Annotations: map[string]string{"summary": fmt.Sprintf("heap of api-%d grows %s", i, evil), "description": evil,
					"runbook_url": fmt.Sprintf("https://runbooks.example/heap?pod=api-%d&x=1", i)},
				StartsAt: startsAt, EndsAt: endsAt,
			})
		}
		postAlerts(t, amAddr, alerts)
	}
	replies := func() (parents, pods, resolved []slackrec.Call) {
		for _, c := range slack.Calls("chat.postMessage") {
			switch {
			case c.ThreadTS() == "":
				parents = append(parents, c)
			case strings.Contains(c.Text(), "Resolved"):
				resolved = append(resolved, c)
			default:
				pods = append(pods, c)
			}
		}
		return
	}

	// updates are the chat.update calls of the parent, and of the pod
	// replies: each reply is posted with the instant profiles and edited
	// once the CPU window's profile lands.
	updates := func() (parent, pods []slackrec.Call) {
		_, posted, _ := replies()
		for _, c := range slack.Calls("chat.update") {
			if slices.ContainsFunc(posted, func(p slackrec.Call) bool { return p.Posted == c.TS() }) {
				pods = append(pods, c)
			} else {
				parent = append(parent, c)
			}
		}
		return
	}
	fire(time.Time{})
	waitUntil(t, 90*time.Second, "three pod replies, each updated with its CPU profile", func() bool {
		_, pods, _ := replies()
		_, podUpdates := updates()
		return len(pods) >= 3 && len(podUpdates) >= 3
	})
	// Let Alertmanager repeat the group at least once to the first process.
	waitUntil(t, 30*time.Second, "a repeat notification", func() bool {
		return strings.Count(serve.output(), `msg="webhook accepted"`) >= 2
	})

	// Kill alertprof hard, mid-incident, and start it again on the same
	// store. Alertmanager keeps repeating the group to the new process.
	if err := serve.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = serve.wait(10 * time.Second)
	serve = startServe("alertprof-restarted")
	waitUntil(t, 30*time.Second, "a repeat reaches the restarted receiver", func() bool {
		return strings.Contains(serve.output(), "continuing an incident from the store")
	})

	endsAt := time.Now().Add(-time.Second).Truncate(time.Second)
	fire(endsAt)
	waitUntil(t, 60*time.Second, "the resolved reply", func() bool { _, _, res := replies(); return len(res) >= 1 })
	waitUntil(t, 10*time.Second, "the parent's update", func() bool { parent, _ := updates(); return len(parent) >= 1 })
	time.Sleep(3 * time.Second) // anything late would show up now

	parents, pods, resolved := replies()
	if len(parents) != 1 {
		t.Fatalf("%d parent messages, want exactly one", len(parents))
	}
	if ua := parents[0].UserAgent; !strings.HasPrefix(ua, "alertprof/") {
		t.Errorf("Slack saw the user agent %q, want alertprof/<version>", ua)
	}
	parentTS := "1700000000.000001"
	if len(pods) != 3 || len(resolved) != 1 {
		t.Fatalf("%d pod replies and %d resolved replies; want 3 and 1", len(pods), len(resolved))
	}
	for _, c := range append(pods, resolved...) {
		if c.ThreadTS() != parentTS || c.Channel() != "C0INCIDENTS" {
			t.Fatalf("a reply went to %s/%s, want the parent's thread C0INCIDENTS/%s", c.Channel(), c.ThreadTS(), parentTS)
		}
	}
	parentUpdates, podUpdates := updates()
	if len(parentUpdates) != 1 || parentUpdates[0].TS() != parentTS || !strings.Contains(allText(t, parentUpdates[0]), "RESOLVED") {
		t.Fatalf("want one update of the parent to RESOLVED, got %d", len(parentUpdates))
	}
	// Each pod's reply was posted once, saying what it still captured,
	// and edited once with the final report.
	for _, p := range pods {
		if !strings.Contains(allText(t, p), "still capturing: cpu (1 s)") {
			t.Fatalf("a pod's first reply does not say it is still capturing its CPU profile:\n%s", allText(t, p))
		}
		n := 0
		for _, u := range podUpdates {
			if u.TS() == p.Posted {
				n++
				if strings.Contains(allText(t, u), "still capturing") || u.Channel() != "C0INCIDENTS" {
					t.Fatalf("the update of reply %s is not the final report:\n%s", p.Posted, allText(t, u))
				}
			}
		}
		if n != 1 {
			t.Fatalf("reply %s was updated %d times, want once", p.Posted, n)
		}
	}
	// One name per pod: its address, in the parent (as posted and as
	// updated after the restart) and as its reply's title, and the reply
	// gives its own alert's summary and runbook.
	seen := map[string]bool{}
	for i, addr := range targets {
		for _, parent := range []slackrec.Call{parents[0], parentUpdates[0]} {
			if p, _ := slackTexts(t, parent); !strings.Contains(p, addr) {
				t.Fatalf("the parent (%s) does not list %s:\n%s", parent.Method, addr, p)
			}
		}
		for _, c := range pods {
			p, _ := slackTexts(t, c)
			if !strings.Contains(p, "*"+addr+"*") {
				continue
			}
			seen[addr] = true
			for _, want := range []string{
				fmt.Sprintf("*heap of api-%d grows &lt;!channel&gt;", i),
				fmt.Sprintf("<https://runbooks.example/heap?pod=api-%d&amp;x=1|Runbook>", i),
			} {
				if !strings.Contains(p, want) {
					t.Fatalf("the reply for %s lacks %q:\n%s", addr, want, p)
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("pod replies titled by their address cover %d of the 3 pods", len(seen))
	}
	// How long the alerts fired, by Alertmanager's startsAt and endsAt,
	// not by when alertprof received the notifications.
	want := fmt.Sprintf("Resolved after %s.", endsAt.Sub(startsAt))
	if p, _ := slackTexts(t, resolved[0]); !strings.Contains(p, want) {
		t.Fatalf("the resolved reply does not say %q:\n%s", want, p)
	}
	// Slack parses the fallback text and mrkdwn for mentions and links,
	// never plain_text: nothing from the alert may form markup in the
	// former, and the latter shows the alert's name as written.
	for _, c := range slack.Calls("") {
		parsed, plain := slackTexts(t, c)
		left := ourDates.ReplaceAllString(parsed, "")
		for _, bad := range []string{"<!", "<@", "<https://evil"} {
			if strings.Contains(left, bad) {
				t.Fatalf("%s carries %q from the alert in mrkdwn or its fallback text:\n%s", c.Method, bad, parsed)
			}
		}
		if strings.Contains(plain, "&lt;") || strings.Contains(plain, "&amp;") {
			t.Fatalf("%s shows HTML entities in plain text:\n%s", c.Method, plain)
		}
	}
	for _, c := range []slackrec.Call{parents[0], parentUpdates[0]} {
		parsed, plain := slackTexts(t, c)
		if !strings.Contains(plain, ": "+alertname) {
			t.Fatalf("the parent's header (%s) does not show %q as written:\n%s", c.Method, alertname, plain)
		}
		if !strings.Contains(c.Text(), "PodHeapGrowing &lt;!channel&gt; a&lt;b") || !strings.Contains(parsed, "&lt;!channel&gt;") {
			t.Fatalf("the alert's text was dropped instead of escaped:\n%s", parsed)
		}
	}
	if strings.Contains(serve.output(), slackToken) {
		t.Fatal("the Slack token appears in alertprof's output")
	}
}

// ourDates is the one markup with "<!" alertprof writes itself.
var ourDates = regexp.MustCompile(`<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>`)

// slackTexts splits a Slack call's texts into those Slack parses for
// mentions and links (the fallback text and every mrkdwn text object) and
// its plain_text objects, which Slack shows as written.
func slackTexts(t *testing.T, c slackrec.Call) (parsed, plain string) {
	t.Helper()
	var v any
	if b := c.Blocks(); b != "" {
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("blocks are not JSON: %v", err)
		}
	}
	p, pl := []string{c.Text()}, []string(nil)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				if x["type"] == "plain_text" {
					pl = append(pl, s)
				} else {
					p = append(p, s) // mrkdwn, or anything Slack might parse
				}
			}
			for k, e := range x {
				if _, isText := e.(string); k != "text" || !isText {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return strings.Join(p, "\n"), strings.Join(pl, "\n")
}

// allText is a Slack call's fallback text plus every text in its blocks,
// decoded from JSON.
func allText(t *testing.T, c slackrec.Call) string {
	t.Helper()
	var v any
	if b := c.Blocks(); b != "" {
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("blocks are not JSON: %v", err)
		}
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					out = append(out, s)
				} else {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return c.Text() + "\n" + strings.Join(out, "\n")
}
