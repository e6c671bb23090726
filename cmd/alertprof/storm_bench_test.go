package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// BenchmarkAlertStorm sends 1,000 firing alerts for 200 distinct pods
// within 10 seconds, in Alertmanager-style group notifications of ten
// alerts, to a real `alertprof serve` process, and reports: pods captured
// exactly once, the most pods captured at once (against the configured
// max_concurrent), the receiver's peak RSS, and acknowledgement latency.
// Run it once: go test -run '^$' -bench AlertStorm -benchtime 1x ./cmd/alertprof/
func BenchmarkAlertStorm(b *testing.B) {
	const (
		pods          = 200
		names         = 5 // alert names per pod: 5 × 200 = 1,000 alerts
		perBatch      = 10
		window        = 10 * time.Second
		maxConcurrent = 8
	)
	for range b.N {
		targets := startStormTargets(b, pods)
		dir := b.TempDir()
		addr := freeLoopback(b)
		cfgPath := filepath.Join(dir, "alertprof.yaml")
		cfg := fmt.Sprintf(`listen: %s
log: {level: warn}
store: {local: {dir: %s}}
webhook: {queue_size: 512, workers: 4}
capture: {profiles: [heap, goroutine], max_concurrent: %d, max_per_minute: 6000, job_timeout: 5m}
`, addr, filepath.Join(dir, "data"), maxConcurrent)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		serve := exec.Command(binary, "serve", "--config", cfgPath)
		serve.Env = append(os.Environ(), "ALERTPROF_WEBHOOK_TOKEN=storm-token")
		var logs bytes.Buffer
		serve.Stdout, serve.Stderr = io.Discard, &logs
		if err := serve.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
		waitReady(b, "http://"+addr+"/readyz")

		// 100 notifications of 10 alerts, ten per second.
		var bodies [][]byte
		alertNames := []string{"GoHeapHigh", "GoroutinesHigh", "LatencyHigh", "RestartLoop", "GCPressure"}
		for n := range names {
			for start := 0; start < pods; start += perBatch {
				var alerts template.Alerts
				for p := start; p < start+perBatch; p++ {
					alerts = append(alerts, template.Alert{
						Status:      "firing",
						Labels:      template.KV{"alertname": alertNames[n], "alertprof_kind": "default", "namespace": "storm", "pod": "pod-" + strconv.Itoa(p), "instance": targets.addrs[p]},
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
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		lat := make([]time.Duration, len(bodies))
		codes := make([]int, len(bodies))
		var wg sync.WaitGroup
		tick := time.NewTicker(window / time.Duration(len(bodies)))
		started := time.Now()
		for i, body := range bodies {
			<-tick.C
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/alerts", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer storm-token")
				t0 := time.Now()
				resp, err := client.Do(req)
				lat[i] = time.Since(t0)
				if err == nil {
					codes[i] = resp.StatusCode
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		tick.Stop()
		wg.Wait()
		sent := time.Since(started)

		deadline := time.Now().Add(3 * time.Minute)
		for {
			once, twice, none := targets.tally(b)
			if none == 0 || twice > 0 || time.Now().After(deadline) {
				break
			}
			_ = once
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // a duplicate capture would show up now
		captureDone := time.Since(started)
		once, twice, none := targets.tally(b)
		rss := peakRSS(b, serve.Process.Pid)

		accepted := 0
		for _, c := range codes {
			if c == http.StatusAccepted {
				accepted++
			}
		}
		slices.Sort(lat)
		p := func(q float64) float64 {
			return float64(lat[min(len(lat)-1, int(float64(len(lat))*q))].Microseconds()) / 1000
		}
		maxPods := targets.counts(b).MaxPods
		within, handled := serverAcks(b, "http://"+addr+"/metrics", 0.01)

		b.ReportMetric(float64(once), "pods-once")
		b.ReportMetric(float64(twice), "pods-twice")
		b.ReportMetric(float64(none), "pods-missed")
		b.ReportMetric(float64(maxPods), "max-concurrent")
		b.ReportMetric(rss/(1<<20), "peak-rss-MB")
		b.ReportMetric(p(0.50), "ack-p50-ms")
		b.ReportMetric(p(0.99), "ack-p99-ms")
		b.Logf("storm: %d alerts in %d notifications sent in %s; %d accepted; all captures done %s after the first alert",
			pods*names, len(bodies), sent.Round(time.Millisecond), accepted, captureDone.Round(time.Second))
		b.Logf("ack latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", p(0.50), p(0.90), p(0.99), float64(lat[len(lat)-1].Microseconds())/1000)
		b.Logf("receiver's own timing (alertprof_webhook_duration_seconds): %d of %d answered within 10 ms", within, handled)
		check := func(ok bool, what string) {
			status := "met"
			if !ok {
				status = "NOT MET"
				b.Fail()
			}
			b.Logf("target %-48s %s", what, status)
		}
		check(once == pods && twice == 0 && none == 0, fmt.Sprintf("each of %d pods captured exactly once (%d/%d/%d)", pods, once, twice, none))
		check(maxPods <= maxConcurrent, fmt.Sprintf("at most %d pods at once (saw %d)", maxConcurrent, maxPods))
		check(rss < 300<<20, fmt.Sprintf("receiver RSS below 300 MB (%.0f MB)", rss/(1<<20)))
		check(p(0.99) < 10, fmt.Sprintf("webhook p99 ack under 10 ms (%.2f ms)", p(0.99)))
		check(accepted == len(bodies), fmt.Sprintf("every notification accepted (%d/%d)", accepted, len(bodies)))
		if b.Failed() {
			b.Logf("receiver log:\n%s", logs.String())
		}
	}
}

// serverAcks reads the receiver's webhook duration histogram: how many
// requests it answered within le seconds, and how many in all.
func serverAcks(b *testing.B, url string, le float64) (within, all uint64) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		b.Fatalf("metrics: %v", err)
	}
	fam := families["alertprof_webhook_duration_seconds"]
	if fam == nil || len(fam.GetMetric()) != 1 {
		b.Fatal("metrics: no alertprof_webhook_duration_seconds histogram")
	}
	h := fam.GetMetric()[0].GetHistogram()
	for _, bk := range h.GetBucket() {
		if bk.GetUpperBound() == le {
			return bk.GetCumulativeCount(), h.GetSampleCount()
		}
	}
	b.Fatalf("metrics: no bucket le=%g", le)
	return 0, 0
}

// peakRSS reads the high-water mark of a process's resident memory.
func peakRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("peak RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

func freeLoopback(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(b *testing.B, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("%s not ready", url)
}
