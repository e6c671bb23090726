package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pprof"
)

// TestSinceHealthyReachesTheReply: a pod compared with its healthy
// baseline says so in its reply, right after the headline: when the
// baseline was taken and from which pod, a link to it, and the heap's
// growth since, row by row.
func TestSinceHealthyReachesTheReply(t *testing.T) {
	taken := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	heap := pprof.Summary{Kind: pprof.KindHeap, SampleType: "inuse_space", Unit: "bytes", Total: 120 << 20, Diff: true,
		Rows:     []pprof.Row{{Function: "main.leak", Flat: 110 << 20, FlatPct: 91.6, Cum: 110 << 20, CumPct: 91.6}},
		Headline: &pprof.Headline{Function: "main.leak", Net: 120 << 20, Text: "inuse heap grew +120MB"}}
	pr := report.PodReport{Target: "shop/api-0", AlertName: "HeapHigh", Headline: "since healthy (2h ago): inuse heap grew +120MB",
		SinceHealthy: &report.SinceHealthy{TakenAt: taken, Ago: 2 * time.Hour, Target: "shop/api-1", Comparisons: []report.HealthyDiff{
			{Profile: "heap-2", Base: "heap", BaseLink: "https://alertprof.example/artifacts/baselines/shop/heap.pb.gz", Summary: &heap},
			{Profile: "goroutine", Base: "goroutine", Summary: &pprof.Summary{Kind: pprof.KindGoroutine, Unit: "count", Diff: true,
				Headline: &pprof.Headline{Function: "example.com/shop/internal/fetch.worker", Net: 4999, Pct: 99.5}}},
		}}}
	msg := podMessage(pr, "")
	texts := blockTexts(msg.blocks)
	at := -1
	for i, s := range texts {
		if strings.HasPrefix(s, "*Since healthy*") {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no section on the healthy baseline:\n%s", strings.Join(texts, "\n---\n"))
	}
	if !strings.Contains(texts[at-1], "since healthy (2h ago)") {
		t.Errorf("the comparison does not follow the headline: %q", texts[at-1])
	}
	// The only markup is ours: the date and the link.
	if rest := ourMarkup.ReplaceAllString(strings.Replace(texts[at], "<https://alertprof.example/artifacts/baselines/shop/heap.pb.gz|heap baseline>", "", 1), ""); strings.ContainsAny(rest, "<>") || len(texts[at]) > maxTextLen {
		t.Errorf("unescaped markup or too long:\n%s", texts[at])
	}
	for _, want := range []string{"from shop/api-1", "<https://alertprof.example/artifacts/baselines/shop/heap.pb.gz|heap baseline>", "*heap inuse_space growth*", "main.leak", "goroutines +4999 since healthy, 99.50% in fetch.worker"} {
		if !strings.Contains(texts[at], want) {
			t.Errorf("the section lacks %q:\n%s", want, texts[at])
		}
	}
}
