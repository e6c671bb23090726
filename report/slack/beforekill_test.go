package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pprof"
)

// TestReplyLeadsWithBeforeKill: the reply of a pod killed for its memory
// shows, right under its title, the capture taken before the kill, the
// comparison with the new instance, and links to the earlier incident's
// record, summary and profiles; then the pod's own analysis.
func TestReplyLeadsWithBeforeKill(t *testing.T) {
	growth := pprof.Summary{Kind: "heap", SampleType: "inuse_space", Unit: "bytes", Total: 398 << 20, Diff: true,
		Rows:     []pprof.Row{{Function: "main.leak", Flat: 398 << 20, FlatPct: 100, Cum: 398 << 20, CumPct: 100}},
		Headline: &pprof.Headline{Function: "main.leak", Net: 398 << 20, Pct: 100, Text: "inuse heap grew +398MB, 100% allocated by main.leak"}}
	pr := testPod("api-1")
	pr.Kind, pr.Headline = "restart", "inuse heap 12MB, 83.33% allocated by main.cache"
	pr.BeforeKill = &report.BeforeKill{
		Incident: "20261122T094500Z-0badcafe", Pod: "payments/api-1", SamePod: true,
		KilledAt: time.Date(2026, 11, 22, 9, 59, 0, 0, time.UTC), CapturedAt: time.Date(2026, 11, 22, 9, 45, 0, 0, time.UTC),
		Lead:        "14 min before the kill: inuse heap 410MB, 97.56% allocated by main.leak (incident 20261122T094500Z-0badcafe)",
		RecordLink:  "https://store.example/incidents/2026/11/22/20261122T094500Z-0badcafe/incident.json",
		SummaryLink: "https://store.example/incidents/2026/11/22/20261122T094500Z-0badcafe/payments/api-1/summary.txt",
		Profiles:    []report.ProfileReport{{Name: "heap", Key: "k/heap.pb.gz", Link: "https://store.example/old/heap.pb.gz"}},
		Growth:      &growth,
	}
	calls := runThread(t, testIncident(), pr)
	if len(calls) != 2 {
		t.Fatalf("%d calls, want the parent and the reply", len(calls))
	}
	var blocks []struct {
		Type     string                  `json:"type"`
		Text     struct{ Text string }   `json:"text"`
		Elements []struct{ Text string } `json:"elements"`
	}
	if err := json.Unmarshal([]byte(calls[1].Blocks()), &blocks); err != nil {
		t.Fatal(err)
	}
	if want := "Evidence for payments/api-1: " + pr.BeforeKill.Lead; calls[1].Text() != want {
		t.Errorf("notification text %q, want %q", calls[1].Text(), want)
	}
	if len(blocks) < 5 {
		t.Fatalf("%d blocks: %s", len(blocks), calls[1].Blocks())
	}
	lead := blocks[1].Text.Text
	if !strings.HasPrefix(lead, ":skull: *14 min before the kill: inuse heap 410MB") || !strings.Contains(lead, "killed instance against the new one: inuse heap grew +398MB") {
		t.Errorf("the block after the title is %q, want the capture before the kill", lead)
	}
	if blocks[2].Type != "context" || len(blocks[2].Elements) == 0 {
		t.Fatalf("block 2 %+v, want the links of the capture before the kill", blocks[2])
	}
	links := blocks[2].Elements[0].Text
	for _, want := range []string{
		"<https://store.example/incidents/2026/11/22/20261122T094500Z-0badcafe/incident.json|incident.json>",
		"|summary.txt>", "<https://store.example/old/heap.pb.gz|heap>",
	} {
		if !strings.Contains(links, want) {
			t.Errorf("links %q lack %q", links, want)
		}
	}
	if !strings.Contains(blocks[3].Text.Text, "heap inuse_space growth") || !strings.Contains(blocks[3].Text.Text, "main.leak") {
		t.Errorf("block 3 %q, want the killed-vs-new table", blocks[3].Text.Text)
	}
	if !strings.Contains(blocks[4].Text.Text, pr.Headline) {
		t.Errorf("block 4 %q, want the pod's own headline after the capture before the kill", blocks[4].Text.Text)
	}

	// Without a capture before the kill, the reply starts with the headline.
	pr.BeforeKill = nil
	calls = runThread(t, testIncident(), pr)
	if err := json.Unmarshal([]byte(calls[1].Blocks()), &blocks); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(calls[1].Blocks(), "before the kill") || !strings.Contains(blocks[1].Text.Text, pr.Headline) {
		t.Errorf("a reply without a capture before the kill: %s", calls[1].Blocks())
	}
}
