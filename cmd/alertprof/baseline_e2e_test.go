//go:build integration

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture/baseline"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pproftest"
)

// TestBaselineNamesAnEarlierLeak runs `alertprof serve` in static mode
// against a real Go program: a memory alert on the healthy program fires
// and resolves, and a healthy baseline is taken after report.baseline's
// delay; the program then leaks for a while and stops; a second memory
// alert's report leads with the growth since healthy, which names the
// leaking function, although nothing grew within the capture. Its
// numbers are those of `go tool pprof -base baseline incident` on the
// same two stored files, row by row.
func TestBaselineNamesAnEarlierLeak(t *testing.T) {
	const token = "e2e-baseline-token"
	bin := filepath.Join(t.TempDir(), "leakafter")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/leakafter").CombinedOutput(); err != nil {
		t.Fatalf("build the test program: %v\n%s", err, out)
	}
	prog := startProc(t, "leakafter", bin)
	prog.start(t)
	target := strings.TrimPrefix(prog.waitLine(t, "listening "), "listening ")
	serve := startServer(t, t.TempDir(), serveConfig{token: token, yaml: `capture:
  mode: static
  cooldown: 1s
  heap_growth_window: 1s
  plans:
    memory: [heap, heap-2, goroutine]
report:
  baseline:
    after_resolve: 1s
`})
	send := func(group, status string) {
		t.Helper()
		a := template.Alert{Status: status, StartsAt: time.Now().Add(-time.Minute), Fingerprint: group,
			Labels: template.KV{"alertname": "HeapHigh", "instance": target, "alertprof_kind": "memory"}}
		if status == "resolved" {
			a.EndsAt = time.Now()
		}
		msg := webhook.Message{Version: "4", GroupKey: group, Data: &template.Data{Receiver: "alertprof", Status: status,
			CommonLabels: template.KV{"alertname": "HeapHigh"}, Alerts: template.Alerts{a}}}
		body, _ := json.Marshal(msg)
		sendWebhook(t, serve.addr, token, string(body), group)
	}

	// Healthy: an incident captures the program, then resolves; the
	// baseline follows a second later.
	send("g-healthy", "firing")
	incidentPod(t, serve.store, "g-healthy")
	send("g-healthy", "resolved")
	var idx struct{ Baselines []baseline.Entry }
	waitUntil(t, 60*time.Second, "a healthy baseline in the store's index", func() bool {
		b, err := os.ReadFile(filepath.Join(serve.store, filepath.FromSlash(baseline.IndexKey)))
		return err == nil && json.Unmarshal(b, &idx) == nil && len(idx.Baselines) == 1
	})
	if e := idx.Baselines[0]; e.Workload.Name != target || !strings.HasPrefix(e.Reason, "after incident ") {
		t.Fatalf("baseline %+v, want one of %s after the incident", e, target)
	}

	// The program leaks for a while, then stops.
	resp, err := http.Get("http://" + target + "/leak?chunks=48&every=20ms")
	if err != nil {
		t.Fatal(err)
	}
	said, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("leak: %s %s", resp.Status, said)
	}

	send("g-later", "firing")
	pr := incidentPod(t, serve.store, "g-later")
	s := pr.SinceHealthy
	if s == nil {
		t.Fatalf("the report is not compared with the healthy baseline: %+v", pr)
	}
	var heap *report.HealthyDiff
	for i := range s.Comparisons {
		if s.Comparisons[i].Base == "heap" {
			heap = &s.Comparisons[i]
		}
	}
	if heap == nil || heap.Summary == nil || heap.Profile != "heap-2" {
		t.Fatalf("no heap comparison: %+v", s.Comparisons)
	}
	if !strings.HasPrefix(pr.Headline, "since healthy (") || !strings.Contains(pr.Headline, "main.leakChunk") {
		t.Fatalf("headline %q does not lead with the leak since healthy", pr.Headline)
	}
	if !strings.HasPrefix(heap.BaseLink, "http://"+serve.addr+"/artifacts/baselines/") {
		t.Fatalf("baseline link %q", heap.BaseLink)
	}
	t.Logf("headline: %s", pr.Headline)
	// The same two files through go tool pprof -base.
	var cur string
	for _, p := range pr.Profiles {
		if p.Name == heap.Profile {
			cur = filepath.Join(serve.store, filepath.FromSlash(p.Key))
		}
	}
	base := filepath.Join(serve.store, filepath.FromSlash(heap.BaseKey))
	want := pproftest.RunTop(t, cur, "inuse_space", "B", len(heap.Summary.Rows), "-base="+base)
	got := *heap.Summary
	if got.Total != want.Total || len(got.Rows) != len(want.Rows) || len(want.Rows) == 0 {
		t.Fatalf("total %d in %d rows; go tool pprof -base: %d in %d rows", got.Total, len(got.Rows), want.Total, len(want.Rows))
	}
	for i, r := range want.Rows {
		if g := got.Rows[i]; g.Function != r.Function || g.Flat != r.Flat || g.Cum != r.Cum {
			t.Errorf("row %d: %s flat %d cum %d; go tool pprof -base: %s", i, g.Function, g.Flat, g.Cum, r.Line)
		}
	}
	if want.Rows[0].Function != "main.leakChunk" {
		t.Errorf("go tool pprof -base does not name the leak first:\n%+v", want.Rows)
	}
	// Nothing grew within the capture: the window's growth is small.
	for _, p := range pr.Profiles {
		if p.Name == "heap-2" && p.Summary != nil && p.Summary.Headline != nil && p.Summary.Headline.Net >= got.Headline.Net {
			t.Errorf("the window grew %d, as much as since healthy (%d)", p.Summary.Headline.Net, got.Headline.Net)
		}
	}
	summary, err := os.ReadFile(filepath.Join(serve.store, filepath.FromSlash(pr.SummaryKey)))
	if err != nil || !strings.Contains(string(summary), "since healthy: baseline taken") {
		t.Errorf("summary.txt lacks the comparison (%v):\n%s", err, summary)
	}
}

// incidentPod waits for the incident.json of group's incident to hold a
// captured pod, and returns it.
func incidentPod(t *testing.T, store, group string) report.PodReport {
	t.Helper()
	var pod report.PodReport
	// The record is written first with the early report: wait for the
	// final one.
	waitUntil(t, 60*time.Second, "incident.json of "+group+" with its pod's final report", func() bool {
		found := false
		_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "incident.json" {
				return err
			}
			var rec struct {
				Incident report.Incident
				Pods     []report.PodReport
			}
			b, err := os.ReadFile(path)
			if err == nil && json.Unmarshal(b, &rec) == nil && rec.Incident.GroupKey == group && len(rec.Pods) == 1 && rec.Pods[0].Headline != "" && !rec.Pods[0].Early() {
				pod, found = rec.Pods[0], true
			}
			return nil
		})
		return found
	})
	return pod
}
