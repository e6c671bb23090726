package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report/slackrec"
)

// BenchmarkFirstEvidence sends one memory alert group naming 20 pods (20
// real net/http/pprof servers, see stormTargets) to a real `alertprof
// serve` process that posts to the Slack recorder, on default settings
// (the memory plan with its 30 s heap growth window, max_concurrent 4,
// max_pods_per_alert 3). It reports, per pod, the time from its instant
// profiles landing (the receiver's "instant profiles landed" log line) to
// its first reply at the recorder, p50 and p99, against 1 s; that each
// pod has exactly one reply, edited in place (chat.update) with its final
// report after the growth window; and how long until every final report.
// Run it once: go test -run '^$' -bench FirstEvidence -benchtime 1x -timeout 10m ./cmd/alertprof/
func BenchmarkFirstEvidence(b *testing.B) {
	const (
		pods       = 20
		window     = 30 * time.Second // the default heap_growth_window
		slackToken = "xoxb-bench-first-evidence"
		token      = "first-evidence-token"
	)
	def := defaultConfig()
	if def.Capture.HeapGrowthWindow != window || def.Capture.MaxConcurrent != 4 {
		b.Fatalf("the defaults changed (heap_growth_window %s, max_concurrent %d): update the benchmark",
			def.Capture.HeapGrowthWindow, def.Capture.MaxConcurrent)
	}
	for range b.N {
		targets := startStormTargets(b, pods)
		slack := slackrec.New(b, slackToken)
		dir := b.TempDir()
		addr := freeLoopback(b)
		cfgPath := filepath.Join(dir, "alertprof.yaml")
		cfg := fmt.Sprintf(`listen: %s
log: {level: debug, format: json}
store: {local: {dir: %s}}
slack: {channel: C0BENCH, api_url: %s}
`, addr, filepath.Join(dir, "data"), slack.URL)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		serve := exec.Command(binary, "serve", "--config", cfgPath)
		serve.Env = append(os.Environ(), "ALERTPROF_WEBHOOK_TOKEN="+token, "SLACK_BOT_TOKEN="+slackToken)
		logs := &lockedBuffer{}
		serve.Stdout, serve.Stderr = io.Discard, logs
		if err := serve.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
		waitReady(b, "http://"+addr+"/readyz")

		var alerts template.Alerts
		for p, a := range targets.addrs {
			alerts = append(alerts, template.Alert{
				Status:      "firing",
				Labels:      template.KV{"alertname": "GoHeapGrowing", "alertprof_kind": "memory", "namespace": "bench", "pod": "pod-" + strconv.Itoa(p), "instance": a},
				StartsAt:    time.Now(),
				Fingerprint: fmt.Sprintf("heap-%d", p),
			})
		}
		msg := webhook.Message{Version: "4", GroupKey: `{}:{alertname="GoHeapGrowing"}`,
			Data: &template.Data{Receiver: "alertprof", Status: "firing", Alerts: alerts, CommonLabels: template.KV{"alertname": "GoHeapGrowing"}}}
		body, _ := json.Marshal(msg)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/alerts", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		sent := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			b.Fatalf("the notification got %d", resp.StatusCode)
		}

		// Wait until every pod's reply is final: edited with no window left.
		final := func(c slackrec.Call) bool { return !strings.Contains(c.Blocks(), "still capturing") }
		deadline := sent.Add(window + 3*time.Minute)
		var replies map[string]slackrec.Call   // pod address -> its reply
		var updates map[string][]slackrec.Call // pod address -> the edits of its reply
		var extra int                          // replies beyond one per pod
		for {
			replies, updates, extra = podReplies(slack, targets.addrs)
			done := 0
			for a := range replies {
				if u := updates[a]; len(u) > 0 && final(u[len(u)-1]) {
					done++
				}
			}
			if done == pods || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // a second reply or a late edit would show up now
		replies, updates, extra = podReplies(slack, targets.addrs)
		landed := instantLandings(b, logs.String())

		var firsts []time.Duration
		var allFirst time.Duration // the last pod's first reply, after the notification
		var finals []time.Duration // final edit, after the notification was sent
		once, updated, early := 0, 0, 0
		for _, a := range targets.addrs {
			r, ok := replies[a]
			if !ok {
				continue
			}
			once++
			allFirst = max(allFirst, r.At.Sub(sent))
			if strings.Contains(r.Blocks(), "still capturing: heap growth (30 s)") {
				early++
			}
			if at, ok := landed["static/"+strings.ReplaceAll(a, ":", "-")]; ok {
				firsts = append(firsts, r.At.Sub(at))
			}
			if u := updates[a]; len(u) > 0 && final(u[len(u)-1]) {
				updated++
				finals = append(finals, u[len(u)-1].At.Sub(sent))
			}
		}
		slices.Sort(firsts)
		slices.Sort(finals)
		q := func(d []time.Duration, f float64) time.Duration {
			if len(d) == 0 {
				return -1
			}
			return d[min(len(d)-1, int(float64(len(d))*f))]
		}
		p50, p99 := q(firsts, 0.50), q(firsts, 0.99)
		b.ReportMetric(p50.Seconds()*1000, "first-reply-p50-ms")
		b.ReportMetric(p99.Seconds()*1000, "first-reply-p99-ms")
		b.ReportMetric(q(finals, 1).Seconds(), "all-final-s")
		b.ReportMetric(allFirst.Seconds(), "all-first-s")
		b.Logf("first reply after the pod's instant profiles landed (%d pods): p50 %s, p99 %s, max %s",
			len(firsts), p50.Round(time.Millisecond), p99.Round(time.Millisecond), q(firsts, 1).Round(time.Millisecond))
		b.Logf("every pod's first reply within %s of the notification", allFirst.Round(time.Millisecond))
		b.Logf("final edit after the notification: first %s, last %s (growth window %s)",
			q(finals, 0).Round(time.Millisecond), q(finals, 1).Round(time.Millisecond), window)
		check := func(ok bool, what string) {
			status := "met"
			if !ok {
				status = "NOT MET"
				b.Fail()
			}
			b.Logf("target %-60s %s", what, status)
		}
		check(len(firsts) == pods && p99 <= time.Second, fmt.Sprintf("first reply within 1 s of the instant profiles, p99 (%s)", p99.Round(time.Millisecond)))
		check(once == pods && extra == 0, fmt.Sprintf("exactly one reply per pod (%d of %d, %d more)", once, pods, extra))
		check(early == pods, fmt.Sprintf("each first reply says it still captures the growth (%d)", early))
		check(updated == pods && q(finals, 0) >= window, fmt.Sprintf("each reply edited with its final report after the window (%d)", updated))
		if b.Failed() {
			b.Logf("receiver log:\n%s", logs.String())
		}
	}
}

// podReplies sorts the recorder's calls: each pod's replies in the thread
// (by the address its reply is titled with), the first kept and the rest
// counted in extra, and the chat.update calls of each first reply.
func podReplies(slack *slackrec.Server, addrs []string) (replies map[string]slackrec.Call, updates map[string][]slackrec.Call, extra int) {
	replies, updates = map[string]slackrec.Call{}, map[string][]slackrec.Call{}
	byTS := map[string]string{}
	for _, c := range slack.Calls("chat.postMessage") {
		if c.ThreadTS() == "" {
			continue
		}
		for _, a := range addrs {
			if c.Text() == "Evidence for "+a {
				if _, dup := replies[a]; dup {
					extra++
					continue
				}
				replies[a] = c
				byTS[c.Posted] = a
			}
		}
	}
	for _, c := range slack.Calls("chat.update") {
		if a, ok := byTS[c.TS()]; ok {
			updates[a] = append(updates[a], c)
		}
	}
	return replies, updates, extra
}

// instantLandings reads, from the receiver's JSON log, when each target's
// instant profiles landed.
func instantLandings(b *testing.B, logs string) map[string]time.Time {
	out := map[string]time.Time{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Time   time.Time `json:"time"`
			Msg    string    `json:"msg"`
			Target string    `json:"target"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "instant profiles landed" {
			continue
		}
		out[line.Target] = line.Time
	}
	if len(out) == 0 {
		b.Log("no \"instant profiles landed\" line in the receiver's log")
	}
	return out
}

// lockedBuffer is a log sink safe for the process's writes and the
// benchmark's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
