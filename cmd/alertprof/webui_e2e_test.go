//go:build integration

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"
)

// TestFlameGraphLinkFromReport is the acceptance test of the pprof web
// UI: alertprof serve captures a real Go program, and the flame-graph
// link in the stored report opens pprof's flame graph with the heap
// profile's top function (as Summarize reports it) in the page's data.
func TestFlameGraphLinkFromReport(t *testing.T) {
	work := t.TempDir()
	const token = "webui-e2e-token-0123456789"

	targetAddr := launchDemoTarget(t, "demo-target")
	serve := startServer(t, work, serveConfig{token: token, env: []string{"ALERTPROF_LINK_KEY=webui-e2e-link-key"}, yaml: `capture:
  mode: static
  profiles: [heap, goroutines]
ui:
  max_open_profiles: 1
`})
	apAddr, store := serve.addr, serve.store

	time.Sleep(2 * time.Second) // let the target's cache grow
	alert := template.Alert{
		Status:      "firing",
		Labels:      template.KV{"alertname": "DemoHeap", "instance": targetAddr, "alertprof_kind": "default"},
		StartsAt:    time.Now().Add(-time.Minute),
		Fingerprint: "f1a3e9a7f1a3e9a7",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := postAlert(ctx, "http://"+apAddr+"/api/v1/alerts", token, "firing", alert); err != nil {
		t.Fatal(err)
	}
	var profiles map[string]storedProfile
	waitUntil(t, 60*time.Second, "the incident record holds the pod's report", func() bool {
		profiles = storedProfiles(t, store)
		return len(profiles) == 2
	})

	heap, dump := profiles["heap"], profiles["goroutines"]
	if heap.Summary == nil || len(heap.Summary.Rows) == 0 {
		t.Fatalf("the heap report has no rows: %+v", heap)
	}
	top := heap.Summary.Rows[0].Function
	if !strings.HasPrefix(heap.UILink, "http://"+apAddr+"/ui/") {
		t.Fatalf("heap ui_link %q is not served by alertprof", heap.UILink)
	}
	if dump.Key == "" || !strings.HasSuffix(dump.Key, ".txt") || dump.UILink != "" {
		t.Fatalf("the goroutine dump (a text artifact) must have no UI link: %+v", dump)
	}

	page := string(httpGet(t, heap.UILink))
	if !strings.Contains(page, "stackViewer(") || !strings.Contains(page, `"`+top+`"`) {
		t.Fatalf("the flame graph page does not carry the top function %q", top)
	}
	// pprof's relative links keep the signature: the top table.
	topURL, _ := url.Parse(heap.UILink)
	topURL = topURL.ResolveReference(&url.URL{Path: "./top"})
	if !strings.Contains(string(httpGet(t, topURL.String())), top) {
		t.Fatalf("%s lacks %q", topURL, top)
	}

	// The summary and the console report carry the link too.
	summary, err := os.ReadFile(findFile(store, "summary.txt"))
	if err != nil || !strings.Contains(string(summary), "open flame graph: "+heap.UILink) {
		t.Fatalf("summary.txt lacks the flame-graph link (%v):\n%s", err, summary)
	}
	waitUntil(t, 10*time.Second, "the console report shows the link", func() bool {
		return strings.Contains(serve.output(), "open flame graph: "+heap.UILink)
	})

	// A tampered signature is refused.
	parts := strings.SplitN(strings.TrimPrefix(topURL.Path, "/ui/"), "/", 3)
	sig := []byte(parts[1])
	if sig[len(sig)-1] == '0' {
		sig[len(sig)-1] = '1'
	} else {
		sig[len(sig)-1] = '0'
	}
	bad := "http://" + apAddr + "/ui/" + parts[0] + "/" + string(sig) + "/" + parts[2]
	resp, err := http.Get(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered link %s: HTTP %d, want 403", bad, resp.StatusCode)
	}
	if m := string(httpGet(t, "http://"+apAddr+"/metrics")); !strings.Contains(m, `alertprof_ui_requests_total{result="forbidden"} 1`) {
		t.Fatalf("/metrics does not count the refused link:\n%s", m)
	}
}

type storedProfile struct {
	Name, Key, Link string
	UILink          string `json:"ui_link"`
	Summary         *struct{ Rows []struct{ Function string } }
}

// storedProfiles reads the profiles of the first pod report in the
// store's incident records, by name.
func storedProfiles(t *testing.T, store string) map[string]storedProfile {
	t.Helper()
	out := map[string]storedProfile{}
	_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "incident.json" {
			return err
		}
		var rec struct {
			Pods []struct{ Profiles []storedProfile }
		}
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &rec) != nil {
			return nil // being written; read it again later
		}
		for _, p := range rec.Pods {
			for _, pr := range p.Profiles {
				out[pr.Name] = pr
			}
		}
		return nil
	})
	return out
}
