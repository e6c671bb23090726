package slack

import (
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/alertmanager/matcher/parse"
	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// TestSilenceLinkRoundTrips: the Silence button's filter, decoded as
// Alertmanager's UI decodes it (percent-decoding, "+" stays "+"), parses
// with Alertmanager's own matcher parser into exactly the alert's labels.
func TestSilenceLinkRoundTrips(t *testing.T) {
	lbls := map[string]string{
		"alertname": "High Memory Use",
		"namespace": "shop",
		"pod":       "checkout-7d9f-abcde",
		"summary":   `a "quoted" value, with {braces}, a+plus & ünïcode`,
	}
	inc := report.Incident{ExternalURL: "http://alertmanager.example:9093", Labels: lbls}
	var link string
	for _, e := range alertButtons(inc) {
		if b, ok := e.(*slackgo.ButtonBlockElement); ok && b.ActionID == "silence" {
			link = b.URL
		}
	}
	if link == "" {
		t.Fatal("no Silence button")
	}
	_, raw, ok := strings.Cut(link, "/#/silences/new?filter=")
	if !ok {
		t.Fatalf("Silence link %q has no filter", link)
	}
	if strings.Contains(raw, "+") {
		t.Errorf("the filter %q encodes something as '+', which the UI reads literally", raw)
	}
	filter, err := url.PathUnescape(raw)
	if err != nil {
		t.Fatalf("filter %q: %v", raw, err)
	}
	ms, err := parse.Matchers(filter)
	if err != nil {
		t.Fatalf("Alertmanager cannot parse the filter %q: %v", filter, err)
	}
	if len(ms) != len(lbls) {
		t.Fatalf("%d matchers from %q, want %d", len(ms), filter, len(lbls))
	}
	for _, m := range ms {
		if want, ok := lbls[m.Name]; !ok || m.Value != want || m.Type.String() != "=" {
			t.Errorf("matcher %s, want %s=%q", m, m.Name, want)
		}
	}
}
