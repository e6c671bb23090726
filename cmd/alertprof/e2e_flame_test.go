//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report/flame"
	"github.com/alertprof/alertprof/report/slackrec"
)

// TestFlameGraphLandsInThread runs `alertprof serve` against a demo
// target (a real Go process with a leaking cache) and the Slack recorder:
// a memory alert's pod reply is followed by a PNG flame graph uploaded
// into the incident's thread, the same bytes as stored beside the heap
// profile, naming the culprit of the headline summary.txt gives.
func TestFlameGraphLandsInThread(t *testing.T) {
	const token, slackToken = "e2e-flame-token", "xoxb-e2e-flame"
	slack := slackrec.New(t, slackToken)
	target := launchDemoTarget(t, "target")
	serve := startServer(t, t.TempDir(), serveConfig{token: token, env: []string{"SLACK_BOT_TOKEN=" + slackToken}, yaml: fmt.Sprintf(`capture:
  plans:
    memory: [heap, goroutine]
slack:
  channel: C0INCIDENTS
  api_url: %s
`, slack.URL)})
	msg := webhook.Message{Version: "4", GroupKey: "g-flame", Data: &template.Data{Receiver: "alertprof", Status: "firing",
		CommonLabels: template.KV{"alertname": "HeapGrowing"},
		Alerts: template.Alerts{{Status: "firing", StartsAt: time.Now().Add(-time.Minute), Fingerprint: "f1",
			Labels: template.KV{"alertname": "HeapGrowing", "instance": target, "alertprof_kind": "memory"}}}}}
	body, _ := json.Marshal(msg)
	sendWebhook(t, serve.addr, token, string(body), "the memory alert")

	pngUpload := func() (slackrec.Call, bool) {
		for _, c := range slack.Calls("files.getUploadURLExternal") {
			if strings.HasSuffix(c.Form.Get("filename"), ".png") {
				return c, true
			}
		}
		return slackrec.Call{}, false
	}
	waitUntil(t, 60*time.Second, "the flame graph's upload", func() bool {
		_, ok := pngUpload()
		return ok && len(slack.Calls("files.completeUploadExternal")) > 0
	})
	up, _ := pngUpload()

	// The recorder answers each call with ts = its sequence number: the
	// parent is the first message.
	parentTS := "1700000000.000001"
	var reply slackrec.Call
	for _, c := range slack.Calls("chat.postMessage") {
		if c.ThreadTS() != "" {
			reply = c
		}
	}
	if reply.ThreadTS() != parentTS {
		t.Fatalf("the pod's reply went to thread %q, want %q", reply.ThreadTS(), parentTS)
	}
	var done slackrec.Call
	var data []byte
	for _, c := range slack.Calls("files.completeUploadExternal") {
		for _, id := range c.FileIDs() {
			if f, ok := slack.Uploaded(id); ok && bytes.HasPrefix(f.Data, []byte("\x89PNG")) {
				done, data = c, f.Data
			}
		}
	}
	if data == nil {
		t.Fatal("no PNG among the uploads")
	}
	if done.ChannelID() != "C0INCIDENTS" || done.ThreadTS() != parentTS {
		t.Fatalf("the flame graph went to %s/%s, want the pod reply's thread C0INCIDENTS/%s", done.ChannelID(), done.ThreadTS(), parentTS)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != flame.DefaultWidth || b.Dy() < 100 || b.Dy() > 1200 {
		t.Errorf("the picture is %v", b)
	}
	text, err := flame.ReadText(data)
	if err != nil {
		t.Fatal(err)
	}
	culprit := text[flame.KeyCulprit]
	if culprit == "" || !strings.Contains(up.Form.Get("alt_txt"), culprit) {
		t.Fatalf("culprit %q; alt text %q", culprit, up.Form.Get("alt_txt"))
	}
	stored := findFile(serve.store, "heap.flame.png")
	if stored == "" {
		t.Fatal("no heap.flame.png beside the heap profile")
	}
	if b, err := os.ReadFile(stored); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("the stored picture differs from the upload (%v)", err)
	}
	summary, err := os.ReadFile(findFile(serve.store, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, headline, _ := strings.Cut(string(summary), "\n=> ")
	headline, _, _ = strings.Cut(headline, "\n")
	if !strings.Contains(headline, culprit) || !strings.Contains(string(summary), "flame graph of heap (PNG): ") {
		t.Fatalf("summary.txt's headline %q does not blame %s, or the picture is not linked:\n%s", headline, culprit, summary)
	}
}
