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

// TestEarlyReportIsNotCaptured: the group state counts a pod as captured
// only once its final report is in, so that a replica taking the incident
// over captures again a pod cut short after its early reply.
func TestEarlyReportIsNotCaptured(t *testing.T) {
	b := newBook(time.Minute)
	b.openOnDemand(report.Incident{ID: "inc"})
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	early := report.PodReport{Target: "shop/web-0", Kind: "memory", CapturedAt: at, Capturing: []report.Window{{Name: "cpu", Seconds: 3}}}
	b.add("inc", early)
	if _, st, _ := b.saved("inc"); len(st.Captured) != 0 {
		t.Fatalf("an early report counts as captured: %v", st.Captured)
	}
	final := early
	final.Capturing = nil
	b.set("inc", final)
	if _, st, _ := b.saved("inc"); !st.Captured[claimKey("shop/web-0", "memory")].Equal(at) {
		t.Fatalf("the final report does not count as captured: %v", st.Captured)
	}
}
