package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/pprof"
	"github.com/alertprof/alertprof/report/pproftest"
)

// TestSinceHealthyEqualsPprofBase: the heap's growth since the healthy
// baseline is `go tool pprof -base baseline incident` on the same files,
// row by row, and the last heap snapshot is the one compared.
func TestSinceHealthyEqualsPprofBase(t *testing.T) {
	base, cur := readFixture(t, "alertmanager_heap.pb.gz"), readFixture(t, "alertmanager_heap2.pb.gz")
	taken := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	pr := PodReport{CapturedAt: taken.Add(2*time.Hour + 5*time.Minute), Profiles: []ProfileReport{{Name: "heap"}, {Name: "heap-2"}}}
	arts := []Artifact{{Name: "heap", Data: base}, {Name: "heap-2", Data: cur}}
	healthy := &Healthy{TakenAt: taken, Target: "shop/api-1", Artifacts: []HealthyArtifact{
		{Name: "heap", Key: "baselines/k/heap.pb.gz", Link: "http://x/baselines/k/heap.pb.gz", Data: base},
	}}
	if errs := Analyze(context.Background(), &pr, arts, Options{Top: 10, Healthy: healthy}); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := pr.SinceHealthy
	if s == nil || len(s.Comparisons) != 1 {
		t.Fatalf("since healthy = %+v", s)
	}
	c := s.Comparisons[0]
	if c.Profile != "heap-2" || c.Base != "heap" || c.BaseLink != "http://x/baselines/k/heap.pb.gz" || c.Summary == nil {
		t.Fatalf("comparison = %+v", c)
	}
	dir := t.TempDir()
	bf, cf := filepath.Join(dir, "baseline.pb.gz"), filepath.Join(dir, "incident.pb.gz")
	for f, data := range map[string][]byte{bf: base, cf: cur} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := pproftest.RunTop(t, cf, "inuse_space", "B", 10, "-base="+bf)
	assertRows(t, *c.Summary, want)
	// The same files compared as the heap snapshots: the same numbers.
	if w := pr.Profiles[1].Summary; w == nil || w.Headline.Net != c.Summary.Headline.Net {
		t.Fatalf("window growth %+v differs from the same comparison since healthy %+v", w, c.Summary)
	}
	var buf bytes.Buffer
	if err := WritePod(&buf, pr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"since healthy: baseline taken 2h ago", "from shop/api-1", "heap       baseline http://x/baselines/k/heap.pb.gz", "[heap-2 since healthy: -base baseline heap]"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
	js, err := json.Marshal(pr)
	if err != nil || !strings.Contains(string(js), `"since_healthy":{"taken_at":"2026-01-02T03:00:00Z"`) {
		t.Errorf("incident.json form lacks since_healthy: %s (%v)", js, err)
	}
}

// assertRows compares a summary's rows with pprof's, value by value.
func assertRows(t *testing.T, got pprof.Summary, want pproftest.Top) {
	t.Helper()
	if got.Total != want.Total || len(got.Rows) != len(want.Rows) {
		t.Fatalf("total %d with %d rows, pprof says %d with %d rows", got.Total, len(got.Rows), want.Total, len(want.Rows))
	}
	for i, r := range want.Rows {
		g := got.Rows[i]
		if g.Function != r.Function || g.Flat != r.Flat || g.Cum != r.Cum {
			t.Errorf("row %d: %s flat %d cum %d, pprof: %s", i, g.Function, g.Flat, g.Cum, r.Line)
		}
	}
}

// TestSinceHealthyLeadsTheHeadline: the growth since healthy leads when
// it explains more than the growth within the capture, never when the
// heap shrank since, and a comparison of other formats is skipped.
func TestSinceHealthyLeadsTheHeadline(t *testing.T) {
	window := func(net int64) ProfileReport {
		return ProfileReport{Name: "heap-2", Summary: &pprof.Summary{Kind: pprof.KindHeap, Diff: true,
			Headline: &pprof.Headline{Net: net, Text: "window growth"}}}
	}
	since := func(net int64) *SinceHealthy {
		return &SinceHealthy{Ago: 2*time.Hour + 10*time.Minute, Comparisons: []HealthyDiff{{Profile: "heap-2", Base: "heap",
			Summary: &pprof.Summary{Kind: pprof.KindHeap, Diff: true, Headline: &pprof.Headline{Net: net, Text: "inuse heap grew +120MB, 91% allocated by main.leak"}}}}}
	}
	const lead = "since healthy (2h ago): inuse heap grew +120MB, 91% allocated by main.leak"
	tests := []struct {
		name    string
		profile []ProfileReport
		since   *SinceHealthy
		want    string
	}{
		{"no baseline", []ProfileReport{window(100)}, nil, "window growth"},
		{"grew more since healthy", []ProfileReport{window(100)}, since(120 << 20), lead},
		{"grew as much within the window", []ProfileReport{window(120 << 20)}, since(120 << 20), "window growth"},
		{"no growth within the window", nil, since(120 << 20), lead},
		{"shrank since healthy", []ProfileReport{window(100)}, since(-5), "window growth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := PodReport{Profiles: tc.profile, SinceHealthy: tc.since}
			if got := Headline(pr); got != tc.want {
				t.Errorf("headline %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSinceHealthyGoroutineDump: a baseline goroutine dump is compared
// with the pod's dump group by group; a baseline of another format than
// the pod's profile is not compared.
func TestSinceHealthyGoroutineDump(t *testing.T) {
	dump := func(n int) []byte {
		var b strings.Builder
		for i := range n {
			b.WriteString("goroutine " + string(rune('1'+i%9)) + " [chan receive]:\nmain.worker()\n\t/src/main.go:10 +0x1\ncreated by main.start in goroutine 1\n\t/src/main.go:5 +0x2\n\n")
		}
		return []byte(b.String())
	}
	pr := PodReport{CapturedAt: time.Unix(3600, 0), Profiles: []ProfileReport{{Name: "goroutines"}, {Name: "heap"}}}
	arts := []Artifact{{Name: "goroutines", Data: dump(7)}, {Name: "heap", Data: readFixture(t, "heap.pb.gz")}}
	healthy := &Healthy{TakenAt: time.Unix(0, 0), Artifacts: []HealthyArtifact{
		{Name: "goroutines", Data: dump(2)},
		{Name: "heap", Data: dump(1)}, // not a heap profile: skipped
	}}
	if errs := Analyze(context.Background(), &pr, arts, Options{Healthy: healthy}); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := pr.SinceHealthy
	if s == nil || len(s.Comparisons) != 1 || s.Comparisons[0].Growth == nil {
		t.Fatalf("since healthy = %+v", s)
	}
	if g := s.Comparisons[0].Growth; g.Before != 2 || g.After != 7 || g.Changes[0].Delta != 5 {
		t.Fatalf("growth = %+v", g)
	}
}
