package handler

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/flame"
)

// TestFlameGraphStoredBesideProfile: a capture draws the flame graph of
// the pod's leading profile (the test process's real heap), stores it
// beside the profile, links it from summary.txt, and hands the picture to
// the notifier; the incident record keeps its key, not its bytes.
func TestFlameGraphStoredBesideProfile(t *testing.T) {
	r := newRig(t, Config{}, nil)
	if rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ev := r.notifier.next(t); ev.Kind != report.Opened {
		t.Fatalf("first event %s", ev.Kind)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Flame == nil {
		t.Fatalf("event %s without a flame graph", ev.Kind)
	}
	fg := ev.Pod.Flame
	heapKey := ev.Pod.Profiles[0].Key
	if want := strings.TrimSuffix(heapKey, "heap.pb.gz") + "heap.flame.png"; fg.Profile != "heap" || fg.Key != want {
		t.Fatalf("flame graph of %q at %q, want heap's at %q", fg.Profile, fg.Key, want)
	}
	stored := r.store.get(fg.Key)
	if !bytes.Equal(stored, fg.PNG) || len(stored) == 0 {
		t.Fatalf("stored %d bytes, the report holds %d", len(stored), len(fg.PNG))
	}
	if _, err := png.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatal(err)
	}
	text, err := flame.ReadText(stored)
	if err != nil || fg.Culprit == "" || text[flame.KeyCulprit] != fg.Culprit {
		t.Errorf("text chunks %q (%v), culprit %q", text, err, fg.Culprit)
	}
	sum := string(r.store.get(r.store.keys("summary.txt")[0]))
	if !strings.Contains(sum, "flame graph of heap (PNG): "+r.store.Link(fg.Key)) {
		t.Errorf("summary.txt does not link the flame graph:\n%s", sum)
	}
	waitFor(t, func() bool { return len(r.store.keys("incident.json")) == 1 })
	var recd struct {
		Pods []struct {
			Flame map[string]any `json:"flame"`
		} `json:"pods"`
	}
	if err := json.Unmarshal(r.store.get(r.store.keys("incident.json")[0]), &recd); err != nil {
		t.Fatal(err)
	}
	if len(recd.Pods) != 1 || recd.Pods[0].Flame["key"] != fg.Key || recd.Pods[0].Flame["png"] != nil || len(recd.Pods[0].Flame) == 0 {
		t.Errorf("incident record's flame graph %v", recd.Pods)
	}
}
