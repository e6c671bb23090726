package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pprof"
	"github.com/alertprof/alertprof/report/slackrec"
)

// earlyPod is a pod's early report: its heap is in, the growth is not.
func earlyPod() report.PodReport {
	pr := testPod("api-1")
	pr.Headline = "inuse heap 1 MiB, 100% under main.leak"
	pr.Capturing = []report.Window{{Name: "heap-2", Seconds: 30}}
	return pr
}

// TestReplyPostedThenUpdated: a pod's early report is posted as its reply
// with what is still being captured; the final one edits that same reply
// (chat.update on its ts) with the growth's headline, and nothing else is
// posted in the thread.
func TestReplyPostedThenUpdated(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	ctx := context.Background()
	inc := testIncident()

	early := earlyPod()
	th, ts, err := s.Reply(ctx, report.Event{Kind: report.Progress, Incident: inc, Pod: &early})
	if err != nil || th.IsZero() || ts == "" || ts == th.TS {
		t.Fatalf("early reply: thread %+v ts %q err %v", th, ts, err)
	}
	posts := srv.Calls("chat.postMessage")
	if len(posts) != 2 || posts[1].ThreadTS() != th.TS {
		t.Fatalf("%d posts, want the parent and the pod's reply in its thread", len(posts))
	}
	if got := allBlocksText(posts[1]); !strings.Contains(got, "still capturing: heap growth (30 s)") || !strings.Contains(got, early.Headline) {
		t.Fatalf("the early reply does not say what is still being captured, or lacks its headline:\n%s", got)
	}

	final := testPod("api-1")
	final.Reply = ts
	growth := pprof.Summary{Kind: "heap", SampleType: "inuse_space", Unit: "bytes", Diff: true, Total: 8 << 20,
		Rows: []pprof.Row{{Function: "main.grow", Flat: 8 << 20, FlatPct: 100, Cum: 8 << 20, CumPct: 100}}}
	final.Profiles = append(final.Profiles, report.ProfileReport{Name: "heap-2", Link: "https://s3.example/heap-2.pb.gz", Summary: &growth})
	final.Headline = "heap grew 8 MiB in 30s, 100% under main.grow"
	inc.Thread = th
	gotTh, gotTS, err := s.Reply(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &final})
	if err != nil || gotTh != th || gotTS != ts {
		t.Fatalf("final reply: thread %+v ts %q err %v; want the same thread and reply %q", gotTh, gotTS, err, ts)
	}
	if n := len(srv.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("%d posts after the final report, want still 2: the reply is edited, never posted twice", n)
	}
	updates := srv.Calls("chat.update")
	if len(updates) != 1 || updates[0].TS() != ts || updates[0].Channel() != th.Channel {
		t.Fatalf("updates %+v, want one chat.update of the pod's reply %s", updates, ts)
	}
	got := allBlocksText(updates[0])
	if strings.Contains(got, "still capturing") || !strings.Contains(got, final.Headline) || !strings.Contains(got, "heap-2") {
		t.Fatalf("the updated reply is not the final report:\n%s", got)
	}
}

// TestReplyGoneIsPostedAgain: a reply deleted in Slack (chat.update
// answers message_not_found) is posted again, and its new ts returned.
func TestReplyGoneIsPostedAgain(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	inc := testIncident()
	inc.Thread = report.Thread{Channel: "C0DEFAULT", TS: "1700000000.000001"}
	srv.RefuseNext("chat.update", 1, "message_not_found")
	pr := testPod("api-1")
	pr.Reply = "1700000000.000002"
	_, ts, err := s.Reply(context.Background(), report.Event{Kind: report.Captured, Incident: inc, Pod: &pr})
	if err != nil {
		t.Fatal(err)
	}
	posts := srv.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].ThreadTS() != inc.Thread.TS || ts == pr.Reply || ts == "" {
		t.Fatalf("posts %d, ts %q: want the report posted again in the thread with a new ts", len(posts), ts)
	}
}

// TestEarlyReplyCutAttachesNothing: an early report too long for one
// message is cut, and its full text is attached only with the final
// report, so that the thread holds one file per pod.
func TestEarlyReplyCutAttachesNothing(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	inc := testIncident()
	inc.Thread = report.Thread{Channel: "C0DEFAULT", TS: "1700000000.000001"}
	pr := earlyPod()
	for i := range 60 {
		sum := *pr.Profiles[0].Summary
		pr.Profiles = append(pr.Profiles, report.ProfileReport{Name: "heap" + strings.Repeat("x", i%5), Summary: &sum})
	}
	msg := podMessage(pr, "")
	if !msg.cut.any() {
		t.Fatal("the report fits: the test needs one that is cut")
	}
	if _, _, err := s.Reply(context.Background(), report.Event{Kind: report.Progress, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("files.getUploadURLExternal")); n != 0 {
		t.Fatalf("an early report uploaded %d files", n)
	}
	if !strings.Contains(allBlocksText(srv.Calls("chat.postMessage")[0]), "once the capture is complete") {
		t.Fatal("the early reply does not say the full report comes with the final one")
	}
	pr.Capturing, pr.Reply = nil, srv.Calls("chat.postMessage")[0].TS()
	if _, _, err := s.Reply(context.Background(), report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("files.completeUploadExternal")); n != 1 {
		t.Fatalf("the final report uploaded %d files, want 1", n)
	}
}

// allBlocksText is a call's fallback text and blocks, as sent.
func allBlocksText(c interface {
	Text() string
	Blocks() string
}) string {
	return c.Text() + "\n" + c.Blocks()
}

// TestUpdatesArePaced: chat.update waits for its rate (Slack's Tier 3):
// past the burst, an update that could not go out before its context
// ends is not sent at all.
func TestUpdatesArePaced(t *testing.T) {
	srv := slackrec.New(t, testToken)
	s, err := New(Config{Token: testToken, APIURL: srv.URL, Channel: "C0DEFAULT", UpdatesPerMinute: 1, UpdateBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	inc := testIncident()
	inc.Thread = report.Thread{Channel: "C0DEFAULT", TS: "1700000000.000001"}
	pr := testPod("api-1")
	pr.Reply = "1700000000.000002"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute/2)
	defer cancel()
	var errs []error
	for range 3 {
		_, _, err := s.Reply(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr})
		errs = append(errs, err)
	}
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errors %v: want the burst of two through and the third refused by the pace", errs)
	}
	if n := len(srv.Calls("chat.update")); n != 2 {
		t.Fatalf("%d chat.update calls reached Slack, want 2", n)
	}
}
