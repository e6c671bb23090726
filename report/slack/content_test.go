package slack

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/slackrec"
)

// runThread posts a whole incident (opened, the pods, resolved) and
// returns every call Slack saw.
func runThread(t *testing.T, inc report.Incident, pods ...report.PodReport) []slackrec.Call {
	t.Helper()
	s, srv, _ := newTestSlack(t)
	ctx := context.Background()
	th, err := s.Notify(ctx, report.Event{Kind: report.Opened, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	inc.Thread = th
	for _, pr := range pods {
		if _, err := s.Notify(ctx, report.Event{Kind: report.Captured, Incident: inc, Pod: &pr}); err != nil {
			t.Fatal(err)
		}
	}
	if inc.Status == "resolved" {
		if _, err := s.Notify(ctx, report.Event{Kind: report.Resolved, Incident: inc}); err != nil {
			t.Fatal(err)
		}
	}
	return srv.Calls("")
}

// ourMarkup is the only markup with "<!" alertprof writes itself: dates.
var ourMarkup = regexp.MustCompile(`<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>`)

// TestAlertNameAsWritten: the header (plain_text, never parsed) shows the
// alert name as written, without entities; the fallback text and mrkdwn
// show it escaped, and no "<!" from it reaches them.
func TestAlertNameAsWritten(t *testing.T) {
	const name = "<!channel> a<b"
	inc := testIncident()
	inc.AlertName = name
	inc.Labels["alertname"] = name
	pr := testPod("api-1")
	pr.AlertName = name
	inc.Status, inc.ResolvedAt = "resolved", inc.OpenedAt.Add(time.Minute)
	calls := runThread(t, inc, pr)
	if len(calls) != 4 {
		t.Fatalf("%d calls, want parent, reply, resolved and update", len(calls))
	}
	for i, c := range calls {
		parsed, plain := parsedTexts(t, c)
		if left := ourMarkup.ReplaceAllString(parsed, ""); strings.Contains(left, "<!") || strings.Contains(left, "<@") {
			t.Fatalf("call %d (%s) lets markup through in mrkdwn or its fallback:\n%s", i, c.Method, parsed)
		}
		if strings.Contains(plain, "&lt;") || strings.Contains(plain, "&amp;") {
			t.Fatalf("call %d (%s) shows entities in plain text:\n%s", i, c.Method, plain)
		}
		if i != 1 && !strings.Contains(c.Text(), "&lt;!channel&gt; a&lt;b") { // the pod reply's names the pod
			t.Fatalf("call %d (%s) fallback text %q lacks the escaped name", i, c.Method, c.Text())
		}
	}
	for _, c := range []slackrec.Call{calls[0], calls[3]} { // the parent, as posted and as updated
		_, plain := parsedTexts(t, c)
		if !strings.Contains(plain, ": "+name) {
			t.Fatalf("%s header %q does not show the name as written", c.Method, plain)
		}
	}
	if parsed, _ := parsedTexts(t, calls[1]); !strings.Contains(parsed, "alert &lt;!channel&gt; a&lt;b") {
		t.Fatalf("the pod reply's mrkdwn lacks the escaped name:\n%s", parsed)
	}
}

// TestPodReplyCarriesItsAlertsWords: a pod's reply gives its own alert's
// summary, description and runbook (a link only for http(s)), escaped;
// the parent keeps the group's common annotations and links a common
// runbook by a button.
func TestPodReplyCarriesItsAlertsWords(t *testing.T) {
	inc := testIncident()
	inc.Annotations["runbook_url"] = "https://runbooks.example/heap"
	one := testPod("api-1")
	one.Annotations = map[string]string{"summary": "api-1 heap at 91% <!here>", "description": "grew 2 GiB in 10m", "runbook_url": "https://runbooks.example/heap?pod=api-1&ns=payments"}
	two := testPod("api-2")
	two.Annotations = map[string]string{"summary": "api-2 heap at 85%", "runbook_url": "javascript:alert(1)"}
	skipped := report.PodReport{Target: "payments/api-3", Name: "payments/api-3", AlertName: "HeapGrowing", Problem: "opted out",
		Annotations: map[string]string{"summary": "api-3 heap at 99%"}}
	calls := runThread(t, inc, one, two, skipped)

	parent := calls[0].Blocks()
	if !strings.Contains(parent, `"url":"https://runbooks.example/heap"`) || !strings.Contains(parent, "Runbook") {
		t.Fatalf("the parent has no runbook button: %s", parent)
	}
	if p, _ := parsedTexts(t, calls[0]); !strings.Contains(p, "*heap grows*") || strings.Contains(p, "api-1 heap") {
		t.Fatalf("the parent does not show just the common summary:\n%s", p)
	}
	r1, _ := parsedTexts(t, calls[1])
	for _, want := range []string{"*api-1 heap at 91% &lt;!here&gt;*", "grew 2 GiB in 10m", "<https://runbooks.example/heap?pod=api-1&amp;ns=payments|Runbook>"} {
		if !strings.Contains(r1, want) {
			t.Fatalf("api-1's reply lacks %q:\n%s", want, r1)
		}
	}
	r2, _ := parsedTexts(t, calls[2])
	if !strings.Contains(r2, "*api-2 heap at 85%*") || strings.Contains(r2, "api-1") || strings.Contains(r2, "<javascript") {
		t.Fatalf("api-2's reply:\n%s", r2)
	}
	if !strings.Contains(r2, "Runbook: `javascript:alert(1)`") || strings.Contains(calls[2].Blocks(), `"url":"javascript`) {
		t.Fatalf("a javascript: runbook must show as text, never as a link:\n%s", r2)
	}
	if r3, _ := parsedTexts(t, calls[3]); !strings.Contains(r3, "*payments/api-3*") || !strings.Contains(r3, "api-3 heap at 99%") {
		t.Fatalf("the skipped pod's reply:\n%s", r3)
	}
}

// TestDurationFromAlertTimes: the resolved reply and the updated parent
// say how long the alerts fired (startsAt to endsAt), not how far apart
// alertprof received the notifications; without endsAt they fall back
// to the receipt times.
func TestDurationFromAlertTimes(t *testing.T) {
	cases := []struct {
		name   string
		endsAt time.Time
		want   string
	}{
		{"alert times", time.Date(2026, 11, 22, 10, 7, 30, 0, time.UTC), "9m30s"}, // startsAt 09:58
		{"receipt times", time.Time{}, "12m0s"},                                   // opened 10:00, resolved 10:12
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inc := testIncident()
			inc.Status, inc.ResolvedAt, inc.EndsAt = "resolved", inc.OpenedAt.Add(12*time.Minute), tc.endsAt
			calls := runThread(t, inc)
			if len(calls) != 3 || calls[2].Method != "chat.update" {
				t.Fatalf("%d calls, want parent, resolved reply, update", len(calls))
			}
			if p, _ := parsedTexts(t, calls[1]); !strings.Contains(p, "Resolved after "+tc.want+".") {
				t.Fatalf("resolved reply:\n%s", p)
			}
			if p, _ := parsedTexts(t, calls[2]); !strings.Contains(p, "*Fired for*\n"+tc.want) {
				t.Fatalf("updated parent:\n%s", p)
			}
		})
	}
}

// TestOneNamePerPod: the parent's pod list and each reply's title name a
// pod the same way, a static pod by its address.
func TestOneNamePerPod(t *testing.T) {
	inc := testIncident()
	inc.Targets = []string{"127.0.0.1:6060", "payments/api-2"}
	static := testPod("x")
	static.Target, static.Address, static.Name = "static/127.0.0.1-6060", "127.0.0.1:6060", "127.0.0.1:6060"
	denied := report.PodReport{Target: "payments/api-2", Name: "payments/api-2", Problem: "namespace payments is denied"}
	calls := runThread(t, inc, static, denied)
	if p, _ := parsedTexts(t, calls[0]); !strings.Contains(p, "*Pods*\n127.0.0.1:6060, payments/api-2") {
		t.Fatalf("parent:\n%s", p)
	}
	for i, want := range []string{"*127.0.0.1:6060*", "*payments/api-2*"} {
		p, _ := parsedTexts(t, calls[i+1])
		if !strings.Contains(p, want) || strings.Contains(p, "*static/") || strings.Contains(p, "alert fp") {
			t.Fatalf("reply %d is not titled %s:\n%s", i, want, p)
		}
	}
}

// TestProfileNotesReachTheThread: an analysis's note (an empty block
// profile: the rate is off, and how to turn it on) is in the pod's reply.
func TestProfileNotesReachTheThread(t *testing.T) {
	const note = "the profile is empty: the block profile rate is probably off; call runtime.SetBlockProfileRate"
	pr := report.PodReport{Target: "shop/api-0", AlertName: "Slow", Profiles: []report.ProfileReport{
		{Name: "block", Link: "https://alertprof.example/a/block.pb.gz", Note: note},
	}}
	js, err := json.Marshal(podMessage(pr, "").blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), ":information_source: *block*: "+note) {
		t.Errorf("the reply lacks the note:\n%s", js)
	}
}
