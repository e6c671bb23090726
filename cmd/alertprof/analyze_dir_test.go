package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// checkAnalyzeDirMatchesSummary runs `alertprof analyze DIR` on the
// directory of a stored summary.txt and wants the capture's report: the
// same headline, and the same text but for the title line.
func checkAnalyzeDirMatchesSummary(t *testing.T, summary string) {
	t.Helper()
	want, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "analyze", filepath.Dir(summary)).Output()
	if err != nil {
		t.Fatalf("analyze %s: %v", filepath.Dir(summary), err)
	}
	head := regexp.MustCompile(`(?m)^=> .*$`)
	if g, w := head.FindString(string(out)), head.FindString(string(want)); g == "" || g != w {
		t.Errorf("analyze DIR headline %q, the capture's %q", g, w)
	}
	title := regexp.MustCompile(`(?m)^--- .* ---$`)
	if g, w := title.ReplaceAllString(string(out), ""), title.ReplaceAllString(string(want), ""); g != w {
		t.Errorf("analyze DIR differs from the capture's summary.txt\nanalyze:\n%s\nsummary.txt:\n%s", g, w)
	}
}

// TestAnalyzeDirUsesTheRecord: a stored pod directory of a restart alert
// whose container was OOM-killed. The files alone cannot say so; the
// incident record next to them does, and the headline is the memory
// verdict the capture gave, with the profile that failed in the capture
// reported as it was.
func TestAnalyzeDirUsesTheRecord(t *testing.T) {
	src := filepath.Join("..", "..", "report", "testdata")
	root := t.TempDir()
	incident := filepath.Join(root, "incidents", "2026", "01", "02", "inc-1")
	dir := filepath.Join(incident, "shop", "cart-0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	memstats := strings.Join([]string{"heap profile: 0: 0 [0: 0] @ heap/524288", "", "# runtime.MemStats", "# Alloc = 5000000", "# TotalAlloc = 900000000", "# Sys = 300000000",
		"# HeapAlloc = 5000000", "# HeapSys = 280000000", "# HeapIdle = 270000000", "# HeapInuse = 10000000", "# HeapReleased = 1000000",
		"# HeapObjects = 1000", "# Stack = 1048576 / 1048576", "# MSpan = 100000 / 200000", "# MCache = 1200 / 15600",
		"# BuckHashSys = 1500000", "# GCSys = 10000000", "# OtherSys = 7000000", "# NextGC = 10000000", "# NumGC = 4", "# NumForcedGC = 0",
		"# GCCPUFraction = 0.01", "# MaxRSS = 310000000", ""}, "\n")
	for name, data := range map[string][]byte{
		"heap.pb.gz":     readFile(t, filepath.Join(src, "alertmanager_heap.pb.gz")),
		"goroutines.txt": readGzip(t, filepath.Join(src, "alertmanager_goroutine.txt.gz")),
		"memstats.txt":   []byte(memstats),
		"summary.txt":    []byte("not an artifact\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bounds := &capture.MemoryBounds{Container: "app", Limit: 320 << 20, LimitText: "320Mi"}
	restart := &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", RestartCount: 2, Reason: "OOMKilled", ExitCode: 137}}}
	pod := report.PodReport{Target: "shop/cart-0", AlertName: "CartRestarting", Kind: capture.KindRestart, MemoryBounds: bounds, Restart: restart,
		SummaryKey: "incidents/2026/01/02/inc-1/shop/cart-0/summary.txt",
		Profiles:   []report.ProfileReport{{Name: "goroutines"}, {Name: "cpu", Error: "cpu: the target answered HTTP 500"}, {Name: "heap"}, {Name: "memstats"}}}
	other := report.PodReport{Target: "shop/cart-1", Kind: capture.KindDefault, SummaryKey: "incidents/2026/01/02/inc-1/shop/cart-1/summary.txt"}
	rec, err := json.Marshal(map[string]any{"schema": 1, "pods": []report.PodReport{other, pod}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(incident, "incident.json"), rec, 0o600); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"analyze", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	// What the capture's analysis gives for the same files and knowledge.
	want := pod
	var arts []report.Artifact
	for _, p := range []struct{ name, file string }{{"goroutines", "goroutines.txt"}, {"heap", "heap.pb.gz"}, {"memstats", "memstats.txt"}} {
		arts = append(arts, report.Artifact{Name: p.name, Data: readFile(t, filepath.Join(dir, p.file))})
	}
	want.Profiles = []report.ProfileReport{{Name: "goroutines"}, {Name: "cpu", Error: pod.Profiles[1].Error}, {Name: "heap"}, {Name: "memstats"}}
	if errs := report.Analyze(t.Context(), &want, arts, report.Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	if !want.Memory.Explains() || !strings.Contains(out, "=> "+want.Headline+"\n") {
		t.Errorf("analyze DIR does not lead with the capture's headline %q (explains the kill: %v):\n%s", want.Headline, want.Memory.Explains(), out)
	}
	order := regexp.MustCompile(`(?m)^  (\S+) +(?:/|FAILED)`).FindAllStringSubmatch(out, -1)
	var names []string
	for _, m := range order {
		names = append(names, m[1])
	}
	if strings.Join(names, " ") != "goroutines cpu heap memstats" || !strings.Contains(out, "cpu        FAILED: cpu: the target answered HTTP 500") {
		t.Errorf("profiles listed %q, want the plan's order with cpu failed:\n%s", names, out)
	}

	// Without the record the files are analysed alone: no kill is known.
	if err := os.Remove(filepath.Join(incident, "incident.json")); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"analyze", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "=> "+want.Headline+"\n") || strings.Contains(stdout.String(), "FAILED") {
		t.Errorf("without the record, analyze DIR still reads the kill or the failure:\n%s", stdout.String())
	}
}
