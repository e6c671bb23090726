//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report/slackrec"
)

// TestCooldownPerKindThroughSlack runs `alertprof serve` against a demo
// target and the Slack recorder: a memory alert captures the pod; a
// latency alert of another group on the same pod captures it too (the
// cooldown is per pod and kind); a memory alert of a third group within
// the cooldown does not, and its thread says when and in which incident
// the pod was captured, with links to that capture's evidence.
func TestCooldownPerKindThroughSlack(t *testing.T) {
	const token, slackToken = "e2e-cooldown-token", "xoxb-e2e-cooldown"
	slack := slackrec.New(t, slackToken)
	target := launchDemoTarget(t, "target")
	serve := startServer(t, t.TempDir(), serveConfig{token: token, env: []string{"SLACK_BOT_TOKEN=" + slackToken}, yaml: fmt.Sprintf(`capture:
  plans:
    memory: [heap, goroutine]
    latency: [goroutine, heap]
slack:
  channel: C0INCIDENTS
  api_url: %s
`, slack.URL)})

	send := func(group, name, kind string) {
		t.Helper()
		msg := webhook.Message{Version: "4", GroupKey: group, Data: &template.Data{Receiver: "alertprof", Status: "firing",
			CommonLabels: template.KV{"alertname": name},
			Alerts: template.Alerts{{Status: "firing", StartsAt: time.Now().Add(-time.Minute), Fingerprint: group,
				Labels: template.KV{"alertname": name, "instance": target, "alertprof_kind": kind}}}}}
		body, _ := json.Marshal(msg)
		sendWebhook(t, serve.addr, token, string(body), group)
	}
	// thread returns the replies in the thread of the parent that names
	// alertname; the recorder answers each call with ts = its sequence.
	thread := func(alertname string) []string {
		parent := ""
		seq := 0
		var replies []slackrec.Call
		for _, c := range slack.Calls("") {
			if strings.HasPrefix(c.Method, "!") {
				continue
			}
			seq++
			if c.Method != "chat.postMessage" {
				continue
			}
			if c.ThreadTS() == "" && strings.Contains(allText(t, c), alertname) {
				parent = fmt.Sprintf("1700000000.%06d", seq)
			}
			replies = append(replies, c)
		}
		var out []string
		for _, c := range replies {
			if parent != "" && c.ThreadTS() == parent {
				out = append(out, allText(t, c))
			}
		}
		return out
	}
	evidence := func(alertname string) string {
		for _, r := range thread(alertname) {
			if strings.Contains(r, "Evidence for") {
				return r
			}
		}
		return ""
	}

	send("g-memory", "HeapHighA", "memory")
	waitUntil(t, 60*time.Second, "the memory alert's evidence", func() bool { return evidence("HeapHighA") != "" })

	send("g-latency", "LatencyHighB", "latency")
	waitUntil(t, 60*time.Second, "the latency alert's evidence for the same pod", func() bool { return evidence("LatencyHighB") != "" })

	send("g-memory-again", "HeapHighC", "memory")
	var note string
	waitUntil(t, 30*time.Second, "a line in the third thread", func() bool {
		for _, r := range thread("HeapHighC") {
			if strings.Contains(r, "No capture") {
				note = r
			}
		}
		return note != ""
	})
	first := incidentOf(t, serve.output(), "g-memory")
	for _, want := range []string{"not captured again", "ago in incident " + first, "memory alert", "summary http://" + serve.addr + "/artifacts/", "heap http://" + serve.addr + "/artifacts/"} {
		if !strings.Contains(note, want) {
			t.Fatalf("the third thread's line does not say %q:\n%s", want, note)
		}
	}
	time.Sleep(2 * time.Second) // a capture for the third alert would show up now
	if r := evidence("HeapHighC"); r != "" {
		t.Fatalf("the pod was captured again for a memory alert within the cooldown:\n%s", r)
	}
	// A re-send of the third group says nothing more.
	before := len(thread("HeapHighC"))
	send("g-memory-again", "HeapHighC", "memory")
	time.Sleep(2 * time.Second)
	if n := len(thread("HeapHighC")); n != before {
		t.Fatalf("a re-send added %d lines to the third thread", n-before)
	}
}

// incidentOf finds, in serve's log, the incident of group.
func incidentOf(t *testing.T, log, group string) string {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "group_key="+group+" ") || !strings.Contains(line, "incident=") {
			continue
		}
		id := line[strings.Index(line, "incident=")+len("incident="):]
		if i := strings.IndexByte(id, ' '); i >= 0 {
			id = id[:i]
		}
		return id
	}
	t.Fatalf("no incident for %s in the log:\n%s", group, log)
	return ""
}
