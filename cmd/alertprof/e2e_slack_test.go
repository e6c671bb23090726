//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	startsAt := time.Now().Add(-time.Minute)
	fire := func(endsAt time.Time) {
		var alerts []amAlert
		for i, addr := range targets {
			alerts = append(alerts, amAlert{
				Labels:      map[string]string{"alertname": "PodHeapGrowing", "severity": "critical", "instance": addr, "pod": fmt.Sprintf("api-%d", i), "note": evil, "alertprof_kind": "default"},
				Annotations: map[string]string{"summary": "heap grows " + evil, "description": evil},
				StartsAt:    startsAt, EndsAt: endsAt,
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

	fire(time.Time{})
	waitUntil(t, 90*time.Second, "three pod replies", func() bool { _, pods, _ := replies(); return len(pods) >= 3 })
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

	fire(time.Now().Add(-time.Second))
	waitUntil(t, 60*time.Second, "the resolved reply", func() bool { _, _, res := replies(); return len(res) >= 1 })
	waitUntil(t, 10*time.Second, "the parent's update", func() bool { return len(slack.Calls("chat.update")) >= 1 })
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
	seen := map[string]bool{}
	for _, c := range pods {
		for _, addr := range targets {
			if strings.Contains(allText(t, c), "127.0.0.1-"+portOf(addr)) {
				seen[addr] = true
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("pod replies cover %d of the 3 pods", len(seen))
	}
	updates := slack.Calls("chat.update")
	if len(updates) != 1 || updates[0].TS() != parentTS || !strings.Contains(allText(t, updates[0]), "RESOLVED") {
		t.Fatalf("want one update of the parent to RESOLVED, got %d", len(updates))
	}
	for _, c := range slack.Calls("") {
		text := allText(t, c)
		for _, bad := range []string{"<!channel", "<!here", "<@", "<https://evil"} {
			if strings.Contains(text, bad) {
				t.Fatalf("%s carries %q from the alert:\n%s", c.Method, bad, text)
			}
		}
	}
	if !strings.Contains(allText(t, parents[0]), "&lt;!channel&gt;") {
		t.Fatal("the alert's text was dropped instead of escaped")
	}
	if strings.Contains(serve.output(), slackToken) {
		t.Fatal("the Slack token appears in alertprof's output")
	}
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
