package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalyzeBaseGoroutineDump: --base takes a goroutine dump too; the
// later dump's section and headline then lead with the groups that grew.
// The base is Alertmanager's dump, the later one the leak culprit's (1,000
// goroutines blocked in main.fetchWorker): no group is shared, so the
// leaked group is all growth.
func TestAnalyzeBaseGoroutineDump(t *testing.T) {
	src := filepath.Join("..", "..", "report", "testdata")
	base := filepath.Join(src, "alertmanager_goroutine.txt.gz")
	cur := filepath.Join(src, "culprits", "leak", "goroutine.txt.gz")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"analyze", "--top", "3", "--base", base, cur}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"goroutine growth (-base): ", "+1000 in [chan send] at main.fetchWorker, created by main.fetchAll",
		"   +1000     1000  [chan send]", "goroutines: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"analyze", "--format", "json", "--base", base, cur}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got struct {
		Growth struct {
			Before, After int
			Changes       []struct {
				Top    string
				Before int
				Delta  int
			}
		} `json:"goroutine_growth"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if c := got.Growth.Changes; len(c) == 0 || c[0].Top != "main.fetchWorker" || c[0].Delta != 1000 || c[0].Before != 0 || got.Growth.Before == 0 {
		t.Errorf("json growth %+v, want main.fetchWorker +1000 first", got.Growth)
	}
}
