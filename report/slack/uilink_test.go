package slack

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// TestFlameGraphLinks checks that both renderings put the pprof UI link
// next to the artifact link, and only for profiles that have one.
func TestFlameGraphLinks(t *testing.T) {
	const ui = "https://alertprof.example/ui/1795000000/ab12/incidents/x/heap.pb.gz/flamegraph"
	pr := testPod("api-1")
	pr.Profiles[0].UILink = ui
	pr.Profiles = append(pr.Profiles, report.ProfileReport{Name: "goroutines", Link: "https://s3.example/bucket/goroutines.txt"})

	var text bytes.Buffer
	if err := report.WritePod(&text, pr); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(text.String(), "open flame graph: "+ui+"\n"); got != 1 {
		t.Fatalf("text report has %d flame-graph links, want 1:\n%s", got, text.String())
	}

	b, err := json.Marshal(podMessage(pr, "").blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []struct {
		Elements []struct{ Text string }
	}
	if err := json.Unmarshal(b, &blocks); err != nil {
		t.Fatal(err)
	}
	var ctx string
	for _, bl := range blocks {
		for _, e := range bl.Elements {
			if strings.HasPrefix(e.Text, "Raw profiles:") {
				ctx = e.Text
			}
		}
	}
	want := "<https://s3.example/bucket/heap.pb.gz?X-Amz-Signature=abc&amp;X-Amz-Expires=60|heap> (<" + ui + "|open flame graph>)"
	if !strings.Contains(ctx, want) || strings.Count(ctx, "flame graph") != 1 {
		t.Fatalf("Slack links line %q, want it to contain %q once", ctx, want)
	}
}

// TestLinkElementsNeverCutALink: long presigned links are spread over
// context elements whole, each within Slack's limit.
func TestLinkElementsNeverCutALink(t *testing.T) {
	var links []string
	for i := range 8 {
		links = append(links, slackLink("https://s3.example/b/p"+strings.Repeat("x", 700)+"?i="+string(rune('0'+i)), "p"))
	}
	els := linkElements("Raw profiles: ", links)
	if len(els) < 2 || len(els) > maxContextElements {
		t.Fatalf("%d elements", len(els))
	}
	n := 0
	for _, e := range els {
		txt := e.(*slackgo.TextBlockObject).Text
		if len(txt) > maxTextLen || strings.Count(txt, "<") != strings.Count(txt, ">") {
			t.Fatalf("element of %d chars with unbalanced links: %q", len(txt), txt)
		}
		n += strings.Count(txt, "<https://")
	}
	if n != len(links) {
		t.Fatalf("%d of %d links kept", n, len(links))
	}
}
