package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/pprof"
	"github.com/alertprof/alertprof/report/slackrec"
)

const testToken = "xoxb-test-0000-secret"

func newTestSlack(t *testing.T, routes ...Route) (*Notifier, *slackrec.Server, *prometheus.Registry) {
	t.Helper()
	srv := slackrec.New(t, testToken)
	reg := prometheus.NewRegistry()
	s, err := New(Config{
		Token: testToken, APIURL: srv.URL, Channel: "C0DEFAULT", Routes: routes,
		MaxTries: 4, Registerer: reg, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, reg
}

func testIncident() report.Incident {
	return report.Incident{
		ID: "20261122T100000Z-0000abcd", GroupKey: "g1", Status: "firing",
		AlertName: "HeapGrowing", Severity: "critical",
		Labels:       map[string]string{"alertname": "HeapGrowing", "namespace": "payments"},
		Annotations:  map[string]string{"summary": "heap grows", "description": "working set above 80% of the limit"},
		ExternalURL:  "http://alertmanager.example:9093",
		GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up",
		StartsAt:     time.Date(2026, 11, 22, 9, 58, 0, 0, time.UTC),
		OpenedAt:     time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

func testPod(name string) report.PodReport {
	sum := pprof.Summary{Kind: "heap", SampleType: "inuse_space", Unit: "bytes", Total: 1 << 20,
		Rows: []pprof.Row{{Function: "main.leak", Flat: 1 << 20, FlatPct: 100, Cum: 1 << 20, CumPct: 100}}}
	return report.PodReport{Target: "payments/" + name, Address: "10.0.0.1:6060", AlertName: "HeapGrowing",
		Profiles: []report.ProfileReport{{Name: "heap", Link: "https://s3.example/bucket/heap.pb.gz?X-Amz-Signature=abc&X-Amz-Expires=60", Summary: &sum}}}
}

func TestThreadPerIncident(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	ctx := context.Background()
	inc := testIncident()
	th, err := s.Notify(ctx, report.Event{Kind: report.Opened, Incident: inc})
	if err != nil || th.IsZero() || th.Channel != "C0DEFAULT" {
		t.Fatalf("opened: thread %+v, err %v", th, err)
	}
	inc.Thread = th
	for _, pod := range []string{"api-1", "api-2", "api-3"} {
		pr := testPod(pod)
		got, err := s.Notify(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr})
		if err != nil || got != th {
			t.Fatalf("captured %s: thread %+v err %v", pod, got, err)
		}
	}
	inc.Status, inc.ResolvedAt = "resolved", inc.OpenedAt.Add(12*time.Minute)
	if _, err := s.Notify(ctx, report.Event{Kind: report.Resolved, Incident: inc}); err != nil {
		t.Fatal(err)
	}

	posts := srv.Calls("chat.postMessage")
	if len(posts) != 5 {
		t.Fatalf("%d posts, want parent + 3 pods + resolved", len(posts))
	}
	if posts[0].ThreadTS() != "" {
		t.Fatal("the parent was posted into a thread")
	}
	for i, p := range posts[1:] {
		if p.ThreadTS() != th.TS || p.Channel() != th.Channel {
			t.Fatalf("reply %d went to %s/%s, want the parent's thread %s/%s", i, p.Channel(), p.ThreadTS(), th.Channel, th.TS)
		}
	}
	if !strings.Contains(texts(t, posts[4]), ":white_check_mark: Resolved after 12m0s.") {
		t.Fatalf("resolved reply: %s", texts(t, posts[4]))
	}
	updates := srv.Calls("chat.update")
	if len(updates) != 1 || updates[0].TS() != th.TS || !strings.Contains(texts(t, updates[0]), "RESOLVED") {
		t.Fatalf("want one update of the parent marking it resolved, got %+v", updates)
	}
	if !strings.Contains(texts(t, posts[1]), "main.leak") {
		t.Fatalf("pod reply lacks the top function: %s", texts(t, posts[1]))
	}
}

func TestOpensAThreadForALateEvent(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	pr := testPod("api-1")
	th, err := s.Notify(context.Background(), report.Event{Kind: report.Captured, Incident: testIncident(), Pod: &pr})
	if err != nil || th.IsZero() {
		t.Fatalf("thread %+v err %v", th, err)
	}
	posts := srv.Calls("chat.postMessage")
	if len(posts) != 2 || posts[0].ThreadTS() != "" || posts[1].ThreadTS() != th.TS {
		t.Fatalf("want a parent then a reply in its thread, got %d posts", len(posts))
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(*slackrec.Server)
		wantErr  string
		attempts int
		metric   string
	}{
		{"429 honours Retry-After", func(s *slackrec.Server) { s.FailNext("chat.postMessage", 1, 429, 1) }, "", 2, "rate_limited"},
		{"5xx backs off and retries", func(s *slackrec.Server) { s.FailNext("chat.postMessage", 2, 503, 0) }, "", 3, "server_error"},
		{"5xx beyond the tries fails", func(s *slackrec.Server) { s.FailNext("chat.postMessage", 4, 500, 0) }, "server error", 4, "server_error"},
		{"ok:false is final", func(s *slackrec.Server) { s.RefuseNext("chat.postMessage", 1, "channel_not_found") }, "channel_not_found", 1, "api_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, srv, reg := newTestSlack(t)
			tc.setup(srv)
			start := time.Now()
			_, err := s.Notify(context.Background(), report.Event{Kind: report.Opened, Incident: testIncident()})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if n := len(srv.Calls("")); n != tc.attempts {
				t.Fatalf("%d attempts, want %d", n, tc.attempts)
			}
			if tc.metric == "rate_limited" && time.Since(start) < time.Second {
				t.Fatal("the retry did not wait for Retry-After")
			}
			if v := counterValue(s.metrics.attempts.WithLabelValues("chat.postMessage", tc.metric)); v < 1 {
				t.Fatalf("alertprof_slack_requests_total{result=%q} = %v", tc.metric, v)
			}
			if tc.metric == "api_error" {
				if v := counterValue(s.metrics.apiErrors.WithLabelValues("channel_not_found")); v != 1 {
					t.Fatalf("api error metric %v", v)
				}
			}
			_ = reg
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Fatal("the token leaked into an error")
			}
		})
	}
}

func TestEscapesAlertText(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	evil := "<!channel> <!here> <@U0BOSS> <https://evil.example|click> & <!subteam^S0ALL>"
	inc := testIncident()
	inc.AlertName = "Heap " + evil
	inc.Severity = evil
	inc.Labels = map[string]string{"alertname": inc.AlertName, "namespace": evil}
	inc.Annotations = map[string]string{"summary": evil, "description": evil}
	inc.GeneratorURL = "javascript:alert(1)"
	th, err := s.Notify(context.Background(), report.Event{Kind: report.Opened, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	inc.Thread = th
	pr := testPod("api-1")
	pr.Target, pr.AlertName, pr.Owner = evil, evil, "not-an-id <!channel>"
	pr.Profiles = append(pr.Profiles, report.ProfileReport{Name: "cpu", Error: evil})
	pr.Profiles[0].Summary.Rows[0].Function = evil
	if _, err := s.Notify(context.Background(), report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	inc.Status, inc.ResolvedAt = "resolved", inc.OpenedAt.Add(time.Minute)
	if _, err := s.Notify(context.Background(), report.Event{Kind: report.Resolved, Incident: inc}); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls("")
	if len(calls) != 4 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, c := range calls {
		// plain_text (the header, button labels) is never parsed by Slack:
		// only the fallback text and mrkdwn must not carry markup.
		all, _ := parsedTexts(t, c)
		for _, bad := range []string{"<!channel", "<!here", "<@", "<https://evil", "<!subteam"} {
			if strings.Contains(all, bad) {
				t.Fatalf("%s carries %q from the alert:\n%s", c.Method, bad, all)
			}
		}
		if strings.Contains(c.Blocks(), "javascript:") {
			t.Fatal("a javascript: URL became a button")
		}
	}
	if !strings.Contains(texts(t, calls[0]), "&lt;!channel&gt;") {
		t.Fatal("the alert text was dropped rather than escaped")
	}
}

func TestRoutesAndMentions(t *testing.T) {
	payments, err := NewRoute([]string{`namespace="payments"`, `severity=~"critical|page"`}, "C0PAYMENTS", "S0PAYTEAM")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRoute([]string{`namespace="x"`}, "C1", "@team"); err == nil {
		t.Fatal("a mention that is not a Slack ID was accepted")
	}
	if _, err := NewRoute([]string{`namespace=~"(("`}, "C1", ""); err == nil {
		t.Fatal("a bad matcher was accepted")
	}
	s, srv, _ := newTestSlack(t, payments)
	inc := testIncident()
	inc.Labels["severity"] = "critical"
	th, err := s.Notify(context.Background(), report.Event{Kind: report.Opened, Incident: inc})
	if err != nil || th.Channel != "C0PAYMENTS" {
		t.Fatalf("routed to %q (%v), want C0PAYMENTS", th.Channel, err)
	}
	if !strings.Contains(texts(t, srv.Calls("chat.postMessage")[0]), "<!subteam^S0PAYTEAM>") {
		t.Fatal("the route's owner is not mentioned")
	}
	inc.Thread = th
	pr := testPod("api-1")
	pr.Owner = "U0OWNER1"
	if _, err := s.Notify(context.Background(), report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(texts(t, srv.Calls("chat.postMessage")[1]), "<@U0OWNER1>") {
		t.Fatal("the pod's owner is not mentioned")
	}

	other := testIncident()
	other.Labels["namespace"] = "search"
	if th, _ := s.Notify(context.Background(), report.Event{Kind: report.Opened, Incident: other}); th.Channel != "C0DEFAULT" {
		t.Fatalf("unmatched incident went to %q", th.Channel)
	}
}

func TestLongReportIsAttached(t *testing.T) {
	s, srv, _ := newTestSlack(t)
	inc := testIncident()
	pr := testPod("api-1")
	sum := pr.Profiles[0].Summary
	for i := range 200 {
		sum.Rows = append(sum.Rows, pprof.Row{Function: fmt.Sprintf("github.com/example/service/internal/storage.(*Shard%03d).compactSegmentsWithAVeryLongName", i), Flat: 1, Cum: 1})
	}
	if _, err := s.Notify(context.Background(), report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
		t.Fatal(err)
	}
	posts := srv.Calls("chat.postMessage")
	reply := posts[len(posts)-1]
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(reply.Blocks()), &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > maxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	for _, txt := range collectTexts(blocks) {
		if len([]rune(txt)) > maxTextLen {
			t.Fatalf("a text field has %d characters", len([]rune(txt)))
		}
	}
	if !strings.Contains(texts(t, reply), "full report is attached") {
		t.Fatal("the cut is not announced")
	}
	done := srv.Calls("files.completeUploadExternal")
	if len(done) != 1 || done[0].Form.Get("thread_ts") == "" || done[0].Form.Get("thread_ts") != reply.ThreadTS() {
		t.Fatalf("want the full report uploaded into the thread, got %+v", done)
	}
	up := srv.Calls("files.getUploadURLExternal")
	if len(up) != 1 {
		t.Fatal("no upload URL requested")
	}
	var files []struct{ ID string }
	_ = json.Unmarshal([]byte(done[0].Form.Get("files")), &files)
	if len(files) != 1 || !strings.Contains(string(srv.Upload(files[0].ID)), "Shard199") {
		t.Fatal("the uploaded file does not hold the whole report")
	}
}

// texts returns the message's fallback text and every text inside its
// blocks, decoded from JSON, so escapes like \u003c do not hide anything.
func texts(t *testing.T, c slackrec.Call) string {
	t.Helper()
	var blocks []map[string]any
	if b := c.Blocks(); b != "" {
		if err := json.Unmarshal([]byte(b), &blocks); err != nil {
			t.Fatalf("blocks are not JSON: %v", err)
		}
	}
	return c.Text() + "\n" + strings.Join(collectTexts(blocks), "\n")
}

// parsedTexts splits a message's texts into those Slack parses for
// mentions and links (the fallback text and every mrkdwn text) and its
// plain_text ones, which it shows as written.
func parsedTexts(t *testing.T, c slackrec.Call) (parsed, plain string) {
	t.Helper()
	var blocks []any
	if b := c.Blocks(); b != "" {
		if err := json.Unmarshal([]byte(b), &blocks); err != nil {
			t.Fatalf("blocks are not JSON: %v", err)
		}
	}
	p, pl := []string{c.Text()}, []string(nil)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				switch x["type"] {
				case "plain_text":
					pl = append(pl, s)
				case "mrkdwn":
					p = append(p, s)
				default:
					t.Fatalf("a text of type %v: %q", x["type"], s)
				}
			}
			for k, e := range x {
				if k != "text" {
					walk(e)
				} else if _, ok := e.(string); !ok {
					walk(e)
				}
			}
		}
	}
	walk(blocks)
	return strings.Join(p, "\n"), strings.Join(pl, "\n")
}

func collectTexts(v any) []string {
	var out []string
	switch x := v.(type) {
	case []map[string]any:
		for _, e := range x {
			out = append(out, collectTexts(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, collectTexts(e)...)
		}
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "text" {
				out = append(out, s)
			} else {
				out = append(out, collectTexts(e)...)
			}
		}
	}
	return out
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func TestPodChannelAnnotation(t *testing.T) {
	payments, err := NewRoute([]string{`namespace="payments"`}, "C0PAYMENTS", "")
	if err != nil {
		t.Fatal(err)
	}
	s, srv, _ := newTestSlack(t, payments)
	for _, tc := range []struct{ asked, want string }{
		{"#payments-oncall", "#payments-oncall"},
		{"C0TEAMCHAN", "C0TEAMCHAN"},
		{"", "C0PAYMENTS"},
		{"<!channel>", "C0PAYMENTS"},
		{"#Not A Channel", "C0PAYMENTS"},
	} {
		inc := testIncident()
		inc.Channel = tc.asked
		th, err := s.Notify(context.Background(), report.Event{Kind: report.Opened, Incident: inc})
		if err != nil || th.Channel != tc.want {
			t.Errorf("pod asked for %q: parent went to %q (%v), want %q", tc.asked, th.Channel, err, tc.want)
		}
	}
	if n := len(srv.Calls("chat.postMessage")); n != 5 {
		t.Fatalf("%d parents posted, want 5", n)
	}
}
