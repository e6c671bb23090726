package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// stallingStore holds the first write of a firing incident record until
// release is closed, as a slow store would.
type stallingStore struct {
	memStore
	once    sync.Once
	stalled chan struct{} // closed when the firing write is held
	release chan struct{}
}

func (s *stallingStore) Put(ctx context.Context, key string, b []byte, meta capture.Meta) error {
	if strings.HasSuffix(key, "/incident.json") && bytes.Contains(b, []byte(`"status": "firing"`)) {
		held := false
		s.once.Do(func() { held = true })
		if held {
			close(s.stalled)
			<-s.release
		}
	}
	return s.memStore.Put(ctx, key, b, meta)
}

// TestResolvedRecordIsNotOverwritten: a capture job that read its incident
// as firing, and whose write is slow, must not land its write after the
// resolve job's. The stored record and group state end resolved.
func TestResolvedRecordIsNotOverwritten(t *testing.T) {
	store := &stallingStore{stalled: make(chan struct{}), release: make(chan struct{})}
	notifier := newRecNotifier()
	h := startHandler(t, Config{Workers: 2}, Deps{Store: store, Notifier: notifier})

	if rec := serve(h, newWebhookRequest(payload(t, "g-persist", "firing", alert("firing", "127.0.0.1:6060")))); rec.Code != http.StatusAccepted {
		t.Fatalf("firing: %d %s", rec.Code, rec.Body)
	}
	select {
	case <-store.stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the capture job never wrote its record")
	}
	if rec := serve(h, newWebhookRequest(payload(t, "g-persist", "resolved", alert("resolved", "127.0.0.1:6060")))); rec.Code != http.StatusAccepted {
		t.Fatalf("resolved: %d %s", rec.Code, rec.Body)
	}
	for ev := notifier.next(t); ev.Kind != report.Resolved; ev = notifier.next(t) {
	}
	// Give an unserialized resolve job time to land its write first.
	time.Sleep(200 * time.Millisecond)
	close(store.release)

	statusOf := func(key string) string {
		var v struct {
			Incident report.Incident `json:"incident"`
		}
		if err := json.Unmarshal(store.get(key), &v); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return v.Incident.Status
	}
	var record, state string
	waitFor(t, func() bool {
		record, state = "", ""
		for _, k := range store.keys(".json") {
			switch {
			case strings.HasSuffix(k, "/incident.json"):
				record = k
			case strings.HasPrefix(k, "state/groups/"):
				state = k
			}
		}
		return h.pool.depth() == 0 && record != "" && state != ""
	})
	time.Sleep(100 * time.Millisecond) // a late firing write would land now
	if got := statusOf(record); got != "resolved" {
		t.Fatalf("incident.json says %q after the resolve, want resolved", got)
	}
	if got := statusOf(state); got != "resolved" {
		t.Fatalf("the group state says %q after the resolve, want resolved", got)
	}
}
