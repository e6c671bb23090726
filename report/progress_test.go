package report

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestEarlyReportInText: an early report says, under its headline, what
// is still being captured; the console prints it, then the final report.
func TestEarlyReportInText(t *testing.T) {
	pr := PodReport{Target: "shop/api-1", Headline: "inuse heap 64MB", Capturing: []Window{{Name: "cpu", Seconds: 10}, {Name: "heap-2", Seconds: 30}}}
	if got, want := pr.StillCapturing(), "still capturing: cpu (10 s), heap growth (30 s)"; got != want {
		t.Fatalf("StillCapturing() = %q, want %q", got, want)
	}
	var out bytes.Buffer
	c := NewConsole(&out, slog.New(slog.DiscardHandler))
	if _, _, err := c.Reply(context.Background(), Event{Kind: Progress, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	final := pr
	final.Capturing, final.Headline = nil, "inuse heap grew +32MB"
	if _, _, err := c.Reply(context.Background(), Event{Kind: Captured, Pod: &final}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	early := strings.Index(text, "=> inuse heap 64MB\n(early report: still capturing: cpu (10 s), heap growth (30 s);")
	last := strings.Index(text, "=> inuse heap grew +32MB")
	if early < 0 || last < early || strings.Count(text, "still capturing") != 1 {
		t.Fatalf("the console does not print the early report, then the final one:\n%s", text)
	}
	if final.StillCapturing() != "" || final.Early() {
		t.Fatal("a final report reads as early")
	}
}
