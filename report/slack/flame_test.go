package slack

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/flame"
	"github.com/alertprof/alertprof/report/slackrec"
)

// flamePod is the report of a pod whose heap a reflect-based decoder
// fills (a real process, see report/testdata/README.md), with the flame
// graph a capture draws for it.
func flamePod(t *testing.T) report.PodReport {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "culprits", "reflect", "heap.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	arts := []report.Artifact{{Name: "heap", Data: data}}
	pr := report.PodReport{Target: "payments/api-1", Name: "payments/api-1", AlertName: "HeapGrowing", Profiles: []report.ProfileReport{{Name: "heap", Link: "https://s3.example/heap.pb.gz"}}}
	if errs := report.Analyze(context.Background(), &pr, arts, report.Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	if pr.Flame, err = report.RenderFlame(context.Background(), pr, arts, report.Options{}); err != nil || pr.Flame == nil {
		t.Fatalf("flame graph: %v, %v", pr.Flame, err)
	}
	return pr
}

// TestFlameGraphInThread: the pod's flame graph is uploaded with files
// upload v2 into the incident's thread, after the pod's reply, with its
// alt text; the uploaded PNG is the picture, naming the culprit.
func TestFlameGraphInThread(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	ctx := context.Background()
	inc := testIncident()
	th, err := s.Notify(ctx, report.Event{Kind: report.Opened, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	inc.Thread = th
	pr := flamePod(t)
	const culprit = "main.scanCustomers"
	if _, err := s.Notify(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	posts := srv.Calls("chat.postMessage")
	reply := posts[len(posts)-1]
	if reply.ThreadTS() != th.TS {
		t.Fatalf("the pod's reply is not in the thread: %q, want %q", reply.ThreadTS(), th.TS)
	}
	done := srv.Calls("files.completeUploadExternal")
	if len(done) != 1 {
		t.Fatalf("%d uploads completed, want 1", len(done))
	}
	if done[0].ChannelID() != th.Channel || done[0].ThreadTS() != reply.ThreadTS() {
		t.Errorf("uploaded to channel %q thread %q, want the pod reply's %q %q", done[0].ChannelID(), done[0].ThreadTS(), th.Channel, reply.ThreadTS())
	}
	all := srv.Calls("")
	if slices.IndexFunc(all, func(c slackrec.Call) bool { return c.Method == "files.getUploadURLExternal" }) <
		slices.IndexFunc(all, func(c slackrec.Call) bool { return c.Method == "chat.postMessage" && c.ThreadTS() != "" }) {
		t.Error("the upload started before the pod's reply was posted")
	}
	up := srv.Calls("files.getUploadURLExternal")
	if len(up) != 1 {
		t.Fatalf("%d upload URLs asked for", len(up))
	}
	alt := up[0].Form.Get("alt_txt")
	if alt != pr.Flame.AltText || !strings.Contains(alt, culprit) {
		t.Errorf("alt text %q, want the picture's, naming %s", alt, culprit)
	}
	if name := up[0].Form.Get("filename"); !strings.HasSuffix(name, ".png") {
		t.Errorf("file name %q", name)
	}
	ids := done[0].FileIDs()
	if len(ids) != 1 {
		t.Fatalf("files %v", ids)
	}
	f, ok := srv.Uploaded(ids[0])
	if !ok {
		t.Fatal("no bytes uploaded")
	}
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("the upload is not a PNG: %v", err)
	}
	if img.Bounds().Dx() != flame.DefaultWidth {
		t.Errorf("width %d", img.Bounds().Dx())
	}
	text, err := flame.ReadText(f.Data)
	if err != nil || text[flame.KeyCulprit] != culprit {
		t.Errorf("text chunks %q (%v), want the culprit %s", text, err, culprit)
	}
}

// TestFlameUploadFailureKeepsReply: Slack refusing the upload leaves the
// pod's reply posted and the event delivered; a rate limit is waited out.
func TestFlameUploadFailureKeepsReply(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	ctx := context.Background()
	inc := testIncident()
	th, err := s.Notify(ctx, report.Event{Kind: report.Opened, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	inc.Thread = th
	pr := flamePod(t)
	srv.RefuseNext("files.getUploadURLExternal", 1, "not_allowed_token_type")
	if _, err := s.Notify(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatalf("a refused upload failed the event: %v", err)
	}
	if n := len(srv.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("%d messages, want the parent and the pod's reply", n)
	}
	if n := len(srv.Calls("files.completeUploadExternal")); n != 0 {
		t.Fatalf("%d uploads completed after a refusal", n)
	}

	srv.FailNext("files.getUploadURLExternal", 1, 429, 1)
	if _, err := s.Notify(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	if done := srv.Calls("files.completeUploadExternal"); len(done) != 1 || done[0].ThreadTS() != th.TS {
		t.Fatalf("after a 429 the upload did not land in the thread: %+v", done)
	}
}
