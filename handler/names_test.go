package handler

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

func TestPodName(t *testing.T) {
	cases := []struct {
		name string
		t    capture.Target
		want string
	}{
		{"kubernetes", capture.Target{Namespace: "shop", Pod: "api-7", Address: "10.0.0.7:6060"}, "shop/api-7"},
		{"static ipv4", capture.Target{Namespace: "static", Pod: "127.0.0.1-6060", Address: "127.0.0.1:6060"}, "127.0.0.1:6060"},
		{"static ipv6", capture.Target{Namespace: "static", Pod: "__1-6060", Address: "[::1]:6060"}, "[::1]:6060"},
		{"a namespace called static", capture.Target{Namespace: "static", Pod: "web-0", Address: "10.0.0.8:6060"}, "static/web-0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := podName(tc.t); got != tc.want {
				t.Fatalf("podName = %q, want %q", got, tc.want)
			}
		})
	}
	// The static resolver's own naming, not a copy of it.
	ts, err := staticResolver(t).Resolve(t.Context(), map[string]string{"instance": "[::1]:6060"})
	if err != nil || len(ts) != 1 {
		t.Fatalf("static [::1]:6060 resolves to %+v (%v)", ts, err)
	}
	if got := podName(ts[0]); got != "[::1]:6060" {
		t.Fatalf("static [::1]:6060 is named %q", got)
	}
}

// TestPodRepliesNameTheirPodAndAlert: the parent's pod list and every
// pod's report name each pod the same way, a pod that is not captured
// included; each report carries its own alert's words; the resolved
// incident dates itself by the alerts' startsAt and endsAt.
func TestPodRepliesNameTheirPodAndAlert(t *testing.T) {
	notifier := newRecNotifier()
	h := startHandler(t, Config{}, Deps{Notifier: notifier})

	captured := alert("firing", "127.0.0.1:6060")
	captured.Annotations = template.KV{"summary": "heap of 127.0.0.1:6060 grows", "description": "above 80%", "runbook_url": "https://runbooks.example/heap", "other": "x"}
	denied := alert("firing", "203.0.113.9:6060") // outside the allowed CIDRs
	denied.Annotations = template.KV{"summary": "heap of the denied pod grows"}
	unnamed := alert("firing", "")
	delete(unnamed.Labels, "instance")
	unnamed.Labels["namespace"], unnamed.Labels["pod"] = "shop", "api-7"
	unnamed.Fingerprint = "fp-shop-api-7"
	body := payload(t, "g-names", "firing", captured, denied, unnamed)
	if rec := serve(h, newWebhookRequest(body)); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	opened := notifier.next(t)
	if opened.Kind != report.Opened {
		t.Fatalf("first event is %s", opened.Kind)
	}
	wantNames := []string{"127.0.0.1:6060", "203.0.113.9:6060", "shop/api-7"}
	got := slices.Sorted(slices.Values(opened.Incident.Targets))
	if !slices.Equal(got, wantNames) {
		t.Fatalf("the parent lists %q, want %q", got, wantNames)
	}
	pods := map[string]report.PodReport{}
	for range 3 {
		ev := notifier.next(t)
		if ev.Kind != report.Captured || ev.Pod == nil {
			t.Fatalf("got %s event, want captured", ev.Kind)
		}
		pods[ev.Pod.PodName()] = *ev.Pod
	}
	for _, n := range wantNames {
		if _, ok := pods[n]; !ok {
			t.Fatalf("no report named %q; reports are named %q", n, slices.Sorted(maps.Keys(pods)))
		}
	}
	if p := pods["127.0.0.1:6060"]; p.Problem != "" || p.Target != "static/127.0.0.1-6060" ||
		p.Annotations["summary"] != "heap of 127.0.0.1:6060 grows" || p.Annotations["runbook_url"] != "https://runbooks.example/heap" ||
		p.Annotations["description"] != "above 80%" || p.Annotations["other"] != "" {
		t.Fatalf("captured pod report: %+v", p)
	}
	if p := pods["203.0.113.9:6060"]; p.Problem == "" || p.Annotations["summary"] != "heap of the denied pod grows" {
		t.Fatalf("denied pod report: %+v", p)
	}
	if p := pods["shop/api-7"]; p.Problem == "" || strings.Contains(p.PodName(), "fp-") {
		t.Fatalf("unresolved pod report: %+v", p)
	}

	// The group resolves: Alertmanager dates the alerts, and the incident
	// takes its times from them, not from when the notifications came.
	starts := time.Date(2026, 11, 22, 9, 50, 0, 0, time.UTC)
	ends := time.Date(2026, 11, 22, 10, 7, 30, 0, time.UTC)
	var resolved []template.Alert
	for i, a := range []template.Alert{captured, denied, unnamed} {
		a.Status = "resolved"
		a.EndsAt = ends.Add(-time.Duration(i) * time.Minute)
		if i == 1 {
			a.StartsAt = starts
		}
		resolved = append(resolved, a)
	}
	if rec := serve(h, newWebhookRequest(payload(t, "g-names", "resolved", resolved...))); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	ev := notifier.next(t)
	if ev.Kind != report.Resolved {
		t.Fatalf("got %s event, want resolved", ev.Kind)
	}
	inc := ev.Incident
	if !inc.StartsAt.Equal(starts) || !inc.EndsAt.Equal(ends) || inc.FiredFor() != ends.Sub(starts) {
		t.Fatalf("resolved incident starts %s, ends %s, fired for %s; want %s, %s, %s",
			inc.StartsAt, inc.EndsAt, inc.FiredFor(), starts, ends, ends.Sub(starts))
	}
	if got := slices.Sorted(slices.Values(inc.Targets)); !slices.Equal(got, wantNames) {
		t.Fatalf("the resolved parent lists %q, want %q", got, wantNames)
	}
}

// kubeLikeResolver answers as the Kubernetes resolver does for a pod that
// opted out (a target with Skip) and for a denied namespace (an error).
type kubeLikeResolver struct{}

func (kubeLikeResolver) Resolve(_ context.Context, l map[string]string) ([]capture.Target, error) {
	if l["namespace"] == "denied" {
		return nil, capture.NotAllowed("namespace %s is denied by capture.namespaces", l["namespace"])
	}
	return []capture.Target{{Namespace: l["namespace"], Pod: l["pod"], Address: "10.0.0.9:6060", Skip: "opted out (annotation alertprof.io/enabled=false)"}}, nil
}

// TestUncapturedPodsAreNamed: a pod that opted out and one in a denied
// namespace are named namespace/pod in their report and in the parent,
// never by the alert's fingerprint.
func TestUncapturedPodsAreNamed(t *testing.T) {
	notifier := newRecNotifier()
	h := startHandler(t, Config{}, Deps{Resolver: kubeLikeResolver{}, Notifier: notifier})
	opted, denied := alert("firing", ""), alert("firing", "")
	for a, nsPod := range map[*template.Alert][2]string{&opted: {"shop", "api-0"}, &denied: {"denied", "api-1"}} {
		delete(a.Labels, "instance")
		a.Labels["namespace"], a.Labels["pod"] = nsPod[0], nsPod[1]
		a.Fingerprint = "fp-" + nsPod[1]
	}
	if rec := serve(h, newWebhookRequest(payload(t, "g-uncaptured", "firing", opted, denied))); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	want := []string{"denied/api-1", "shop/api-0"}
	if ev := notifier.next(t); ev.Kind != report.Opened || !slices.Equal(slices.Sorted(slices.Values(ev.Incident.Targets)), want) {
		t.Fatalf("first event %s lists %q, want opened with %q", ev.Kind, ev.Incident.Targets, want)
	}
	var got []string
	for range 2 {
		ev := notifier.next(t)
		if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Problem == "" {
			t.Fatalf("got %s event (%+v), want a report of a pod not captured", ev.Kind, ev.Pod)
		}
		got = append(got, ev.Pod.PodName())
	}
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Fatalf("reports named %q, want %q", got, want)
	}
}
