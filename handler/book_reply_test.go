package handler

import (
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
)

// TestTakeEarlyReply: a pod whose capture was cut short after its early
// reply gives that reply to its next capture, once; a final report, a
// report of another kind and one never posted give none.
func TestTakeEarlyReply(t *testing.T) {
	b := newBook(time.Minute)
	b.openOnDemand(report.Incident{ID: "inc"})
	early := report.PodReport{Target: "shop/web-2", Kind: "memory", Reply: "1700000000.000200",
		Capturing: []report.Window{{Name: "heap-2", Seconds: 30}}}
	b.add("inc", early)
	b.add("inc", report.PodReport{Target: "shop/web-1", Kind: "memory", Reply: "1700000000.000100"})              // final
	b.add("inc", report.PodReport{Target: "shop/web-3", Kind: "memory", Capturing: early.Capturing})              // never posted
	b.add("inc", report.PodReport{Target: "shop/web-4", Kind: "latency", Reply: "1", Capturing: early.Capturing}) // other kind

	if got := b.takeEarlyReply("inc", "shop/web-2", "memory"); got != early.Reply {
		t.Fatalf("the cut-short pod's reply: %q, want %q", got, early.Reply)
	}
	if got := b.takeEarlyReply("inc", "shop/web-2", "memory"); got != "" {
		t.Fatalf("the reply was given twice: %q", got)
	}
	for _, c := range []struct{ target, kind string }{{"shop/web-1", "memory"}, {"shop/web-3", "memory"}, {"shop/web-4", "memory"}, {"shop/web-2", "memory"}} {
		if got := b.takeEarlyReply("inc", c.target, c.kind); got != "" {
			t.Errorf("%s (%s): reply %q, want none", c.target, c.kind, got)
		}
	}
	rec, _, ok := b.saved("inc")
	if !ok || len(rec.Pods) != 3 {
		t.Fatalf("the record keeps %d reports, want the three not taken", len(rec.Pods))
	}
}
