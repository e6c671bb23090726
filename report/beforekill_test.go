package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/pproftest"
)

const mib = 1 << 20

// killedHeap and freshHeap are the heaps of an instance that leaked in
// main.leak until it was killed, and of the instance that replaced it.
func killedHeap(t *testing.T) []byte {
	return pproftest.Heap(t, map[string]int64{"main.leak": 400 * mib, "main.cache": 10 * mib})
}

func freshHeap(t *testing.T) []byte {
	return pproftest.Heap(t, map[string]int64{"main.leak": 2 * mib, "main.cache": 10 * mib})
}

// earlierReport is a memory alert's report of the killed instance, made
// by the one analyser.
func earlierReport(t *testing.T, at time.Time) PodReport {
	t.Helper()
	pr := PodReport{Target: "shop/api-1", Name: "shop/api-1", AlertName: "ContainerMemoryOOMRisk", Kind: capture.KindMemory, CapturedAt: at,
		Profiles: []ProfileReport{{Name: "heap", Key: "incidents/x/heap.pb.gz", Link: "http://old/heap"}, {Name: "goroutines", Error: "connection refused"}}}
	if errs := Analyze(context.Background(), &pr, []Artifact{{Name: "heap", Data: killedHeap(t)}}, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	return pr
}

func TestOOMKilled(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    *capture.Restart
		want string // container, "" for none
	}{
		{"no restart", nil, ""},
		{"error exit", &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", Reason: "Error", FinishedAt: at}}}, ""},
		{"oom without a time", &capture.Restart{Containers: []capture.ContainerRestart{{Container: "app", Reason: "OOMKilled"}}}, ""},
		{"oom", &capture.Restart{Containers: []capture.ContainerRestart{{Container: "side", Reason: "Error", FinishedAt: at}, {Container: "app", Reason: "OOMKilled", FinishedAt: at}}}, "app"},
		{"latest of two", &capture.Restart{Containers: []capture.ContainerRestart{
			{Container: "a", Reason: "OOMKilled", FinishedAt: at}, {Container: "b", Reason: "OOMKilled", FinishedAt: at.Add(time.Minute)}}}, "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := OOMKilled(tc.r)
			if ok != (tc.want != "") || c.Container != tc.want {
				t.Errorf("OOMKilled = %q, %v; want %q", c.Container, ok, tc.want)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Second:                  "40 s",
		14*time.Minute + 10*time.Second:   "14 min",
		59*time.Minute + 40*time.Second:   "60 min",
		2 * time.Hour:                     "2 h",
		2*time.Hour + 5*time.Minute + 1e9: "2 h 5 min",
	} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestBeforeKillLead(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	earlier := earlierReport(t, at)
	heap := earlier.Profiles[0].Summary
	if heap == nil || heap.Headline == nil {
		t.Fatalf("the earlier heap has no headline: %+v", earlier.Profiles[0])
	}
	killed := capture.ContainerRestart{Container: "app", Reason: "OOMKilled", FinishedAt: at.Add(14*time.Minute + 5*time.Second)}
	inc := Incident{ID: "20260101T100000Z-0badcafe", AlertName: "ContainerMemoryOOMRisk"}

	bk := BeforeKillOf(earlier, inc, killed, true, "Deployment/api")
	want := "14 min before the kill: " + heap.Headline.Text + " (incident 20260101T100000Z-0badcafe)"
	if bk.Lead != want {
		t.Errorf("lead %q, want %q", bk.Lead, want)
	}
	for _, part := range []string{"inuse heap 410MB", "main.leak"} {
		if !strings.Contains(bk.Lead, part) {
			t.Errorf("lead %q lacks %q", bk.Lead, part)
		}
	}
	if bk.HeapKey != "incidents/x/heap.pb.gz" || len(bk.Profiles) != 1 || bk.Profiles[0].Link != "http://old/heap" {
		t.Errorf("heap key %q, profiles %+v: want the stored heap only", bk.HeapKey, bk.Profiles)
	}

	other := BeforeKillOf(earlier, inc, killed, false, "Deployment/api")
	if !strings.HasPrefix(other.Lead, "14 min before the kill (pod shop/api-1 of Deployment/api): inuse heap") {
		t.Errorf("another pod's lead %q does not name it", other.Lead)
	}

	noHeap := earlier
	noHeap.Profiles = []ProfileReport{{Name: "goroutines", Key: "k/goroutines.txt"}}
	noHeap.Headline = "120 goroutines, 100 in main.wait"
	if got := BeforeKillOf(noHeap, inc, killed, true, "").Lead; got != "14 min before the kill: 120 goroutines, 100 in main.wait (incident 20260101T100000Z-0badcafe)" {
		t.Errorf("lead without a heap %q", got)
	}
}

// TestCompareKilled: what the killed instance held beyond the new one is
// exactly `go tool pprof -base <new> <killed>`.
func TestCompareKilled(t *testing.T) {
	dir := t.TempDir()
	killedFile, freshFile := filepath.Join(dir, "killed.pb.gz"), filepath.Join(dir, "fresh.pb.gz")
	killed, fresh := killedHeap(t), freshHeap(t)
	for f, b := range map[string][]byte{killedFile: killed, freshFile: fresh} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bk := &BeforeKill{}
	if err := CompareKilled(context.Background(), bk, killed, fresh, Options{}); err != nil {
		t.Fatal(err)
	}
	g := bk.Growth
	if g == nil || !g.Diff || g.Headline == nil {
		t.Fatalf("growth %+v", g)
	}
	oracle := pproftest.RunTop(t, killedFile, "inuse_space", "bytes", 10, "-base="+freshFile)
	if g.Total != oracle.Total || len(g.Rows) == 0 || g.Rows[0].Function != oracle.Rows[0].Function || g.Rows[0].Flat != oracle.Rows[0].Flat {
		t.Errorf("growth total %d, first row %+v; go tool pprof -base: total %d, first row %+v", g.Total, g.Rows, oracle.Total, oracle.Rows[0])
	}
	if g.Headline.Net != 398*mib || g.Headline.Culprit() != "main.leak" {
		t.Errorf("growth headline %+v, want +398MiB under main.leak", g.Headline)
	}
	if line := bk.GrowthLine(); !strings.Contains(line, "inuse heap grew +398MB") || !strings.Contains(line, "main.leak") {
		t.Errorf("growth line %q", line)
	}

	bad := &BeforeKill{}
	if err := CompareKilled(context.Background(), bad, []byte("not a profile"), fresh, Options{}); err == nil || bad.GrowthError == "" || bad.Growth != nil {
		t.Errorf("a broken killed heap: err %v, growth error %q", err, bad.GrowthError)
	}
}

// TestWritePodLeadsWithBeforeKill: the text report's first line after
// the pod's title is the capture before the kill, then its links, and
// the comparison table comes after the profiles.
func TestWritePodLeadsWithBeforeKill(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	killed := capture.ContainerRestart{Container: "app", Reason: "OOMKilled", FinishedAt: at.Add(14 * time.Minute), RestartCount: 1}
	bk := BeforeKillOf(earlierReport(t, at), Incident{ID: "inc-1"}, killed, true, "")
	bk.RecordLink, bk.SummaryLink = "http://store/inc-1/incident.json", "http://store/inc-1/summary.txt"
	if err := CompareKilled(context.Background(), bk, killedHeap(t), freshHeap(t), Options{}); err != nil {
		t.Fatal(err)
	}
	pr := PodReport{Target: "shop/api-1", AlertName: "ContainerOOMKilled", Kind: capture.KindRestart, CapturedAt: at.Add(20 * time.Minute),
		Restart:  &capture.Restart{Containers: []capture.ContainerRestart{killed}},
		Profiles: []ProfileReport{{Name: "heap", Link: "http://store/new/heap"}}, BeforeKill: bk}
	if errs := Analyze(context.Background(), &pr, []Artifact{{Name: "heap", Data: freshHeap(t)}}, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	var b strings.Builder
	if err := WritePod(&b, pr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[2], "=> 14 min before the kill: inuse heap 410MB") {
		t.Fatalf("the report does not lead with the capture before the kill:\n%s", b.String())
	}
	text := b.String()
	for _, want := range []string{"killed instance against the new one: inuse heap grew +398MB", "record     http://store/inc-1/incident.json",
		"summary    http://store/inc-1/summary.txt", "heap       http://old/heap", "=> " + pr.Headline, "[killed instance against the new one"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "=> 14 min") > strings.Index(text, "=> "+pr.Headline) || strings.Index(text, "[heap]") > strings.Index(text, "[killed instance") {
		t.Errorf("out of order:\n%s", text)
	}
}
