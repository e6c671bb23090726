//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
)

// BenchmarkHAStorm sends 1,000 firing alerts for 200 pods (five alert
// names per pod, in notifications of ten alerts) to three replicas with
// coordination enabled, on a real kube-apiserver and MinIO. Each
// notification goes to two replicas, as an Alertmanager HA pair behind a
// Service delivers it, round robin. It reports how many pods were
// captured exactly once, more than once or not at all (counted at the
// pods), how the captures spread across the replicas, and how long until
// every pod was captured.
// Run it once: go test -tags integration -run '^$' -bench HAStorm -benchtime 1x -timeout 20m ./cmd/alertprof/
func BenchmarkHAStorm(b *testing.B) {
	const (
		pods, names, perBatch, replicas = 200, 5, 10, 3
		planSize                        = 2 // heap, goroutine
	)
	for range b.N {
		e := newHAEnv(b)
		targets := startStormTargets(b, pods)
		for p := range pods {
			e.createPod(b, "pod-"+strconv.Itoa(p), targets.addrs[p])
		}
		for i := range replicas {
			e.startReplica(b, i, "  profiles: [heap, goroutine]\n")
		}
		alertNames := []string{"GoHeapHigh", "GoroutinesHigh", "LatencyHigh", "RestartLoop", "GCPressure"}
		var bodies [][]byte
		for n := range names {
			for start := 0; start < pods; start += perBatch {
				var alerts template.Alerts
				for p := start; p < start+perBatch; p++ {
					alerts = append(alerts, template.Alert{
						Status:      "firing",
						Labels:      template.KV{"alertname": alertNames[n], "alertprof_kind": "default", "namespace": haPodNS, "pod": "pod-" + strconv.Itoa(p)},
						StartsAt:    time.Now(),
						Fingerprint: fmt.Sprintf("%s-%d", alertNames[n], p),
					})
				}
				msg := webhook.Message{Version: "4", GroupKey: fmt.Sprintf(`{}:{alertname=%q, shard="%d"}`, alertNames[n], start/perBatch),
					Data: &template.Data{Receiver: "alertprof", Status: "firing", Alerts: alerts, CommonLabels: template.KV{"alertname": alertNames[n]}}}
				body, _ := json.Marshal(msg)
				bodies = append(bodies, body)
			}
		}
		client := &http.Client{Timeout: 10 * time.Second}
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		started := time.Now()
		for i, body := range bodies {
			for _, r := range []*haReplica{e.replicas[i%replicas], e.replicas[(i+1)%replicas]} {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/api/v1/alerts", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+haToken)
					code := 0
					if resp, err := client.Do(req); err == nil {
						code = resp.StatusCode
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				})
			}
			time.Sleep(100 * time.Millisecond) // ten notifications a second
		}
		wg.Wait()
		deadline := time.Now().Add(5 * time.Minute)
		var done time.Duration
		for {
			_, twice, none, partly := targets.tally(b, planSize)
			if none+partly == 0 || twice > 0 || time.Now().After(deadline) {
				done = time.Since(started)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(3 * time.Second) // a duplicate capture would show up now
		once, twice, none, partly := targets.tally(b, planSize)
		none += partly
		var spread []string
		busy := 0
		for _, r := range e.replicas {
			n := metricValue(b, "http://"+r.addr+"/metrics", `alertprof_captures_total{profile="heap",result="ok"}`)
			lost := metricValue(b, "http://"+r.addr+"/metrics", `alertprof_claims_lost_total{kind="target"}`)
			spread = append(spread, fmt.Sprintf("%s %d pods (%d target claims lost to another replica)", r.id, n, lost))
			if n > 0 {
				busy++
			}
		}
		b.ReportMetric(float64(once), "pods-once")
		b.ReportMetric(float64(twice), "pods-twice")
		b.ReportMetric(float64(none), "pods-missed")
		b.ReportMetric(float64(busy), "replicas-capturing")
		b.ReportMetric(done.Seconds(), "captures-done-s")
		b.Logf("HA storm: %d alerts in %d notifications, each to two of %d replicas; answers %v; all captures done %s after the first",
			pods*names, len(bodies), replicas, codes, done.Round(100*time.Millisecond))
		b.Logf("captures by replica: %s", strings.Join(spread, "; "))
		check := func(ok bool, what string) {
			status := "met"
			if !ok {
				status = "NOT MET"
				b.Fail()
			}
			b.Logf("target %-48s %s", what, status)
		}
		check(codes[http.StatusAccepted] == 2*len(bodies), fmt.Sprintf("every notification accepted (%d/%d)", codes[http.StatusAccepted], 2*len(bodies)))
		check(once == pods && twice == 0 && none == 0, fmt.Sprintf("each of %d pods captured exactly once (%d/%d/%d)", pods, once, twice, none))
		check(busy == replicas, fmt.Sprintf("captures spread across all %d replicas (%d)", replicas, busy))
		if b.Failed() {
			for _, r := range e.replicas {
				b.Logf("--- %s ---\n%s", r.id, r.output())
			}
		}
	}
}

// metricValue reads one sample, by its exposition line prefix, from a
// /metrics page; 0 when absent.
func metricValue(tb testing.TB, url, sample string) int {
	tb.Helper()
	for line := range strings.Lines(string(httpGet(tb, url))) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("%s: %v", sample, err)
			}
			return int(f)
		}
	}
	return 0
}
