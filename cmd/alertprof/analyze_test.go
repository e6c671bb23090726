package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	runtimepprof "runtime/pprof"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/report/pprof"
	"github.com/alertprof/alertprof/report/pproftest"
)

// TestAnalyzeJSONAgreesWithPprof runs the alertprof binary's analyze
// command on real profiles and compares every row with go tool pprof -top
// on the same file.
func TestAnalyzeJSONAgreesWithPprof(t *testing.T) {
	for _, c := range []struct {
		fixture, index string
		top            int
	}{
		{"heap", "", 10}, {"heap", "alloc_space", 5},
		{"cpu", "", 10}, {"cpu", "", 3},
		{"goroutine", "", 10},
		{"allocs", "", 8},
	} {
		t.Run(fmt.Sprintf("%s/%s/top%d", c.fixture, c.index, c.top), func(t *testing.T) {
			file := filepath.Join("..", "..", "report", "testdata", c.fixture+".pb.gz")
			args := []string{"analyze", "--format", "json", "--top", fmt.Sprint(c.top)}
			if c.index != "" {
				args = append(args, "--sample-index", c.index)
			}
			out, err := exec.Command(binary, append(args, file)...).Output()
			if err != nil {
				t.Fatalf("analyze: %v", err)
			}
			var got pprof.Summary
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, out)
			}
			want := pproftest.RunTop(t, file, c.index, got.Unit, c.top)
			if got.File != file || got.SampleType != want.SampleType || got.Total != want.Total {
				t.Fatalf("file %q type %q total %d; pprof: type %q total %d", got.File, got.SampleType, got.Total, want.SampleType, want.Total)
			}
			if len(got.Rows) != len(want.Rows) || len(got.Rows) == 0 {
				t.Fatalf("%d rows, pprof has %d", len(got.Rows), len(want.Rows))
			}
			for i, w := range want.Rows {
				g := got.Rows[i]
				if g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum {
					t.Errorf("row %d: %s flat=%d cum=%d; pprof: %q", i, g.Function, g.Flat, g.Cum, w.Line)
				}
			}
		})
	}
}

func TestAnalyzeCommandLine(t *testing.T) {
	heap := filepath.Join("..", "..", "report", "testdata", "heap.pb.gz")
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"text", []string{"analyze", heap}, 0, "heap inuse_space: total"},
		{"json lines for two files", []string{"analyze", "--format", "json", heap, heap}, 0, `"sample_type":"inuse_space"`},
		{"no files", []string{"analyze"}, 2, "at least one profile"},
		{"bad format", []string{"analyze", "--format", "xml", heap}, 2, "xml"},
		{"missing file", []string{"analyze", "nope.pb.gz"}, 1, "nope.pb.gz"},
		{"not a profile", []string{"analyze", "analyze.go"}, 1, "not a pprof profile"},
		{"truncated trace", []string{"analyze", truncatedTrace(t)}, 1, "read trace"},
		{"unknown sample index", []string{"analyze", "--sample-index", "bogus", heap}, 1, "inuse_space"},
		{"past the decoded cap", []string{"analyze", "--max-decoded-bytes", "1024", heap}, 1, "heap.pb.gz: too large to analyse: it decompresses to more than 1024 bytes"},
		{"past the file cap", []string{"analyze", "--max-bytes", "100", heap}, 1, "heap.pb.gz: larger than 100 bytes (--max-bytes)"},
		{"base past the decoded cap", []string{"analyze", "--max-decoded-bytes", "1024", "--base", heap, heap}, 1, "larger than the cap after decompression"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.contains) {
				t.Fatalf("exit %d (want %d); output lacks %q:\n%s%s", code, tc.code, tc.contains, stdout.String(), stderr.String())
			}
			if tc.name == "json lines for two files" && strings.Count(stdout.String(), "\n") != 2 {
				t.Fatalf("want one JSON object per line:\n%s", stdout.String())
			}
		})
	}
}

// TestAnalyzeBaseAgreesWithPprof runs analyze --base and compares the rows
// with go tool pprof -base on the same two files.
func TestAnalyzeBaseAgreesWithPprof(t *testing.T) {
	dir := filepath.Join("..", "..", "report", "testdata")
	base, cur := filepath.Join(dir, "alertmanager_heap.pb.gz"), filepath.Join(dir, "alertmanager_heap2.pb.gz")
	out, err := exec.Command(binary, "analyze", "--format", "json", "--top", "8", "--base", base, cur).Output()
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	var got pprof.Summary
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	want := pproftest.RunTop(t, cur, "", got.Unit, 8, "-base="+base)
	if !got.Diff || got.Total != want.Total || len(got.Rows) != len(want.Rows) || len(got.Rows) == 0 {
		t.Fatalf("diff %t total %d rows %d; pprof: total %d rows %d", got.Diff, got.Total, len(got.Rows), want.Total, len(want.Rows))
	}
	for i, w := range want.Rows {
		if g := got.Rows[i]; g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum {
			t.Errorf("row %d: %s flat=%d cum=%d; pprof: %q", i, g.Function, g.Flat, g.Cum, w.Line)
		}
	}
	if got.Headline == nil || !strings.Contains(got.Headline.Text, "grew") {
		t.Errorf("headline %+v", got.Headline)
	}
}

func TestAnalyzeRecognisesInputs(t *testing.T) {
	dir := filepath.Join("..", "..", "report", "testdata")
	cases := []struct {
		name     string
		args     []string
		contains []string
	}{
		{"gzipped goroutine dump", []string{filepath.Join(dir, "culprits", "leak", "goroutine.txt.gz")},
			[]string{"1000 (", "[chan send]", "main.fetchWorker", "created by main.fetchAll"}},
		{"heap views and headline", []string{filepath.Join(dir, "culprits", "readall", "heap.pb.gz")},
			[]string{"=> inuse heap", "io.ReadAll ← main.handleUpload", "heap inuse_objects", "heap alloc_space", "top by cum"}},
		{"block delay and contentions", []string{filepath.Join(dir, "block.pb.gz")},
			[]string{"block delay", "block contentions"}},
		{"cpu window", []string{filepath.Join(dir, "cpu.pb.gz")}, []string{"Duration:", "of the window"}},
		{"json goroutines", []string{"--format", "json", filepath.Join(dir, "culprits", "slownet", "goroutine.txt.gz")},
			[]string{`"goroutines":{`, `"top":"main.callInventory"`, `"state":"IO wait"`}},
		{"execution trace", []string{filepath.Join(dir, "trace", "slowpeer.out")},
			[]string{"execution trace:", "=> network wait", "mostly in main.callBackend", "main.callBackend [network]", "sync block by stack"}},
		{"json execution trace", []string{"--format", "json", filepath.Join(dir, "trace", "slowpeer.out")},
			[]string{`"kind":"trace"`, `"trace":{`, `"dominant":"network wait"`, `"culprit":"main.callBackend"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), append([]string{"analyze"}, tc.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			for _, c := range tc.contains {
				if !strings.Contains(stdout.String(), c) {
					t.Errorf("output lacks %q:\n%s", c, stdout.String())
				}
			}
		})
	}
}

// truncatedTrace writes the first half of the checked-in execution trace.
func truncatedTrace(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "trace", "slowpeer.out"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.out")
	if err := os.WriteFile(path, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAnalyzeMemStats: analyze reads the heap profile as text (the
// memstats artifact) for its runtime statistics, here the test process's
// own, instead of showing its unsymbolized records.
func TestAnalyzeMemStats(t *testing.T) {
	var buf bytes.Buffer
	if err := runtimepprof.Lookup("heap").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "memstats.txt")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"analyze", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"[memory] ", "heap in use", "runtime holds", "container limit     unknown"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "<unknown>") {
		t.Errorf("output shows unsymbolized heap records:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"analyze", "--format", "json", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got struct {
		Kind   string `json:"kind"`
		Memory struct {
			Stats struct {
				Sys     uint64 `json:"sys"`
				HeapSys uint64 `json:"heap_sys"`
			} `json:"memstats"`
		} `json:"memory"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if got.Kind != "memstats" || got.Memory.Stats.HeapSys == 0 || got.Memory.Stats.Sys < got.Memory.Stats.HeapSys {
		t.Fatalf("json %+v: want kind memstats with Sys >= HeapSys > 0", got)
	}

	// Without its MemStats block the text is refused with the reason.
	cut := bytes.Split(buf.Bytes(), []byte("# runtime.MemStats"))[0]
	if err := os.WriteFile(path, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(t.Context(), []string{"analyze", path}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "MemStats") {
		t.Fatalf("exit %d, stderr %q: want a refusal naming the missing MemStats", code, stderr.String())
	}
}
