package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
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
// alerts, to a real `alertprof serve` process on default settings, and
// reports: notifications refused, pods captured exactly once, how long
// until every pod was captured against the bound the settings allow, the
// most pods captured at once (against max_concurrent), the receiver's
// peak RSS, and acknowledgement latency.
//
// The alerts are restart alerts (alertprof_kind=restart), whose default
// plan (goroutine stacks, heap, memory statistics) has no window: the 200
// targets share one process, so one CPU profiler and one tracer, and a
// plan with a CPU window, which holds a capture slot, would make one run
// last 200/4 × the window (BenchmarkFirstEvidence runs a memory plan).
// Five alert names per pod, all of that kind, so each pod is captured
// once and the other four are decided by the cooldown.
// Run it once: go test -run '^$' -bench AlertStorm -benchtime 1x -timeout 20m ./cmd/alertprof/
func BenchmarkAlertStorm(b *testing.B) {
	const (
		pods     = 200
		names    = 5 // alert names per pod: 5 × 200 = 1,000 alerts
		perBatch = 10
		window   = 10 * time.Second
		// The defaults the run holds to (see defaultConfig).
		maxConcurrent = 4
		perMinute     = 300
		planWindow    = 0 // the restart plan fetches nothing over a window
		planSize      = 3 // goroutine?debug=2, heap, heap?debug=1
	)
	def := defaultConfig()
	if def.Capture.MaxConcurrent != maxConcurrent || def.Capture.MaxPerMinute != perMinute || def.Webhook.QueueSize != 64 || def.Webhook.Workers != 2 {
		b.Fatalf("the defaults changed (max_concurrent %d, max_per_minute %d, queue %d, workers %d): update the bound",
			def.Capture.MaxConcurrent, def.Capture.MaxPerMinute, def.Webhook.QueueSize, def.Webhook.Workers)
	}
	// Every pod captured within the windows run max_concurrent at a time,
	// or, when the start rate is the tighter limit, within the time
	// max_per_minute takes to start them all (its burst is a minute's
	// worth), plus 10 s.
	windows := time.Duration((pods+maxConcurrent-1)/maxConcurrent) * planWindow
	starts := time.Duration(max(0, pods-perMinute)) * time.Minute / perMinute
	bound := max(windows, starts) + 10*time.Second
	for range b.N {
		targets := startStormTargets(b, pods)
		dir := b.TempDir()
		addr := freeLoopback(b)
		cfgPath := filepath.Join(dir, "alertprof.yaml")
		cfg := fmt.Sprintf(`listen: %s
log: {level: warn}
store: {local: {dir: %s}}
`, addr, filepath.Join(dir, "data"))
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
						Labels:      template.KV{"alertname": alertNames[n], "alertprof_kind": "restart", "namespace": "storm", "pod": "pod-" + strconv.Itoa(p), "instance": targets.addrs[p]},
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
		// Watch the targets and the store while the storm is sent: the
		// captures may all be done before the last notification goes out.
		// Fetched is not finished: a pod is done when its summary.txt is
		// stored, after its analysis.
		deadline := started.Add(bound + time.Minute)
		type progress struct{ fetched, analysed time.Duration }
		doneAt := make(chan progress, 1)
		go func() {
			var pr progress
			defer func() { doneAt <- pr }() // also when a failed tally ends the goroutine
			for !time.Now().After(deadline) {
				if pr.fetched == 0 {
					_, twice, none, partly := targets.tally(b, planSize)
					if none+partly == 0 || twice > 0 {
						pr.fetched = time.Since(started)
					}
				}
				if pr.fetched != 0 && countFiles(filepath.Join(dir, "data"), "summary.txt") >= pods {
					pr.analysed = time.Since(started)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
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

		done := <-doneAt
		captureDone, analysed := done.fetched, done.analysed
		if captureDone == 0 {
			captureDone = time.Since(started)
		}
		if analysed == 0 {
			analysed = time.Since(started)
		}
		time.Sleep(2 * time.Second) // a duplicate capture would show up now
		once, twice, none, partly := targets.tally(b, planSize)
		none += partly
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
		b.ReportMetric(captureDone.Seconds(), "captures-done-s")
		b.Logf("storm: %d alerts in %d notifications sent in %s; %d accepted; all captures done %s after the first alert (bound %s)",
			pods*names, len(bodies), sent.Round(time.Millisecond), accepted, captureDone.Round(100*time.Millisecond), bound)
		b.Logf("every pod analysed and stored %s after the first alert", analysed.Round(100*time.Millisecond))
		b.ReportMetric(analysed.Seconds(), "reports-done-s")
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
		check(accepted == len(bodies), fmt.Sprintf("no 503: every notification accepted (%d/%d)", accepted, len(bodies)))
		check(once == pods && twice == 0 && none == 0, fmt.Sprintf("each of %d pods captured exactly once (%d/%d/%d)", pods, once, twice, none))
		check(none == 0 && captureDone <= bound, fmt.Sprintf("all captured within %s (%s)", bound, captureDone.Round(100*time.Millisecond)))
		check(analysed <= bound, fmt.Sprintf("all analysed and stored within %s (%s)", bound, analysed.Round(100*time.Millisecond)))
		check(maxPods <= maxConcurrent, fmt.Sprintf("at most %d pods at once (saw %d)", maxConcurrent, maxPods))
		check(rss < 300<<20, fmt.Sprintf("receiver RSS below 300 MB (%.0f MB)", rss/(1<<20)))
		// The receiver's own histogram is the figure it controls; the
		// client's adds time the sender waited for a core on a shared
		// machine, printed above.
		check(handled > 0 && within*100 >= handled*99, fmt.Sprintf("webhook p99 ack under 10 ms at the receiver (%d/%d)", within, handled))
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

// countFiles counts the files named name under dir.
func countFiles(dir, name string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			n++
		}
		return nil
	})
	return n
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
