//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/slackrec"
)

// TestResolveDuringCaptureKeepsOneThread: the group resolves while the
// receiver is still taking the pod's CPU profile. The Slack side sees one
// parent; the pod's late reply and the resolved reply both go to its
// thread; and incident.json lists the pod next to the resolve.
func TestResolveDuringCaptureKeepsOneThread(t *testing.T) {
	const token, slackToken = "e2e-late-webhook-token", "xoxb-e2e-late-token"
	slack := slackrec.New(t, slackToken)

	cpuAsked := make(chan struct{}, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		select {
		case cpuAsked <- struct{}{}:
		default:
		}
		pprof.Profile(w, r)
	})
	target := httptest.NewServer(mux)
	t.Cleanup(target.Close)
	targetAddr := target.Listener.Addr().String()

	serve := startServer(t, t.TempDir(), serveConfig{token: token, env: []string{"SLACK_BOT_TOKEN=" + slackToken}, yaml: fmt.Sprintf(`capture:
  cpu_seconds: 4
slack:
  channel: C0INCIDENTS
  api_url: %s
log:
  level: debug
`, slack.URL)})

	send := func(status string) {
		t.Helper()
		body := fmt.Sprintf(`{"version":"4","groupKey":"late-resolve","status":%q,"receiver":"alertprof",
"commonLabels":{"alertname":"SlowRequests","severity":"warning"},
"alerts":[{"status":%q,"labels":{"alertname":"SlowRequests","severity":"warning","instance":%q,"alertprof_kind":"default"},
"startsAt":%q,"fingerprint":"f1"}]}`, status, status, targetAddr, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
		sendWebhook(t, serve.addr, token, body, status+" notification")
	}
	messages := func() (parents, pods, resolved []slackrec.Call) {
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

	send("firing")
	select {
	case <-cpuAsked: // the CPU window is open
	case <-time.After(60 * time.Second):
		t.Fatalf("the target was never asked for a CPU profile:\n%s", serve.output())
	}
	send("resolved")
	waitUntil(t, 30*time.Second, "the resolved reply", func() bool { _, _, res := messages(); return len(res) == 1 })
	// The pod's reply goes out early, with its instant profiles, and is
	// edited once the CPU window closes: before then it says so.
	final := func() bool {
		_, pods, _ := messages()
		for _, c := range pods {
			if !strings.Contains(allText(t, c), "still capturing: cpu") {
				return true
			}
		}
		return slices.ContainsFunc(slack.Calls("chat.update"), func(c slackrec.Call) bool {
			return slices.ContainsFunc(pods, func(p slackrec.Call) bool { return p.Posted == c.TS() })
		})
	}
	if final() {
		t.Fatal("the pod's final report went out before the CPU window closed; the resolve did not arrive during the capture")
	}
	waitUntil(t, 60*time.Second, "the pod's late final report", func() bool {
		parents, _, _ := messages()
		return final() || len(parents) > 1
	})
	time.Sleep(2 * time.Second) // anything more would show up now

	parents, pods, resolved := messages()
	if len(parents) != 1 {
		t.Fatalf("%d parent messages, want exactly one:\n%s", len(parents), serve.output())
	}
	parentTS := "1700000000.000001"
	if len(pods) != 1 || len(resolved) != 1 {
		t.Fatalf("%d pod replies and %d resolved replies; want 1 and 1", len(pods), len(resolved))
	}
	for _, c := range append(pods, resolved...) {
		if c.ThreadTS() != parentTS || c.Channel() != "C0INCIDENTS" {
			t.Fatalf("a reply went to %s/%s, want the parent's thread C0INCIDENTS/%s", c.Channel(), c.ThreadTS(), parentTS)
		}
	}
	if text := allText(t, pods[0]); !strings.Contains(text, "127.0.0.1-"+portOf(targetAddr)) {
		t.Fatalf("the late reply does not name the pod:\n%s", text)
	}

	var rec struct {
		Incident struct {
			Status string `json:"status"`
			Thread struct {
				TS string `json:"ts"`
			} `json:"thread"`
		} `json:"incident"`
		Pods []struct {
			Target   string `json:"target"`
			Profiles []struct{ Name, Key, Error string }
		} `json:"pods"`
	}
	waitUntil(t, 10*time.Second, "incident.json with the pod", func() bool {
		path := findFile(serve.store, "incident.json")
		if path == "" {
			return false
		}
		b, err := os.ReadFile(path)
		rec.Pods = nil
		return err == nil && json.Unmarshal(b, &rec) == nil && len(rec.Pods) == 1 &&
			slices.ContainsFunc(rec.Pods[0].Profiles, func(p struct{ Name, Key, Error string }) bool { return p.Name == "cpu" })
	})
	if rec.Incident.Status != "resolved" || rec.Incident.Thread.TS != parentTS || rec.Pods[0].Target != "static/127.0.0.1-"+portOf(targetAddr) {
		t.Fatalf("incident.json: status %q, thread %q, pods %+v", rec.Incident.Status, rec.Incident.Thread.TS, rec.Pods)
	}
	for _, p := range rec.Pods[0].Profiles {
		if p.Name == "cpu" && (p.Error != "" || p.Key == "") {
			t.Fatalf("the late CPU profile: error %q, key %q", p.Error, p.Key)
		}
	}
}
