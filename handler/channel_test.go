package handler

import (
	"context"
	"net/http"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// annotatedResolver resolves like the static resolver, then gives every
// target the Slack channel its pod's annotation would name.
type annotatedResolver struct {
	static  *capture.Static
	channel string
}

func (a annotatedResolver) Resolve(ctx context.Context, labels map[string]string) ([]capture.Target, error) {
	targets, err := a.static.Resolve(ctx, labels)
	for i := range targets {
		targets[i].SlackChannel = a.channel
	}
	return targets, err
}

func TestPodChannelReachesTheParent(t *testing.T) {
	notifier := newRecNotifier()
	h := startHandler(t, Config{}, Deps{
		Resolver: annotatedResolver{static: staticResolver(t), channel: "#payments-oncall"},
		Notifier: notifier,
	})

	// One alert names nothing capturable: its problem line must follow the
	// parent, not open the thread before the pods are known.
	body := payload(t, "g-channel", "firing", alert("firing", "203.0.113.9:6060"), alert("firing", "127.0.0.1:6060"))
	if rec := serve(h, newWebhookRequest(body)); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	first := notifier.next(t)
	if first.Kind != report.Opened {
		t.Fatalf("first event is %s, want opened", first.Kind)
	}
	if first.Incident.Channel != "#payments-oncall" {
		t.Fatalf("the parent asks for channel %q, want the pod's #payments-oncall", first.Incident.Channel)
	}
	kinds := map[bool]bool{}
	for range 2 {
		ev := notifier.next(t)
		if ev.Kind != report.Captured || ev.Pod == nil {
			t.Fatalf("got %s event, want captured", ev.Kind)
		}
		kinds[ev.Pod.Problem != ""] = true
	}
	if !kinds[true] || !kinds[false] {
		t.Fatalf("want one problem line and one capture, got %v", kinds)
	}
}

// namingResolver is an annotatedResolver that also names targets at
// intake, as the static and Kubernetes resolvers do.
type namingResolver struct{ annotatedResolver }

func (n namingResolver) TargetKey(labels map[string]string) (string, bool) {
	return n.static.TargetKey(labels)
}

// TestCooledIncidentOpensInThePodChannel: an incident whose pod cools
// down is decided at intake, with nothing to capture; its parent still
// goes to the pod's channel, and its thread says why nothing is captured.
func TestCooledIncidentOpensInThePodChannel(t *testing.T) {
	notifier := newRecNotifier()
	h := startHandler(t, Config{}, Deps{
		Resolver: namingResolver{annotatedResolver{static: staticResolver(t), channel: "#payments-oncall"}},
		Notifier: notifier,
	})
	for _, g := range []string{"g1", "g2"} {
		if rec := serve(h, newWebhookRequest(payload(t, g, "firing", alert("firing", "127.0.0.1:6060")))); rec.Code != http.StatusAccepted {
			t.Fatalf("%s: webhook answered %d", g, rec.Code)
		}
		if g == "g1" {
			notifier.next(t)
			notifier.next(t)
		}
	}
	opened := notifier.next(t)
	if opened.Kind != report.Opened || opened.Incident.GroupKey != "g2" || opened.Incident.Channel != "#payments-oncall" {
		t.Fatalf("got %s for %s in %q, want g2 opened in #payments-oncall", opened.Kind, opened.Incident.GroupKey, opened.Incident.Channel)
	}
	if ev := notifier.next(t); ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Problem == "" {
		t.Fatalf("got %s %+v, want the cooldown line", ev.Kind, ev.Pod)
	}
}
