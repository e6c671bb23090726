package handler

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report"
)

// blockingStore is a store whose Get of one key blocks until release is
// closed, as a store in an outage does for one request.
type blockingStore struct {
	memStore
	key     string
	blocked chan struct{} // closed when the Get is held
	release chan struct{}
}

func (s *blockingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if key == s.key {
		close(s.blocked)
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.memStore.Get(ctx, key)
}

// TestAdoptionOfOneGroupDoesNotWaitForAnother: while the store hangs on
// group A's state, group B's notification is accepted, checked against
// the store and captured; A goes on once the store answers.
func TestAdoptionOfOneGroupDoesNotWaitForAnother(t *testing.T) {
	store := &blockingStore{key: groupStateKey("g-A"), blocked: make(chan struct{}), release: make(chan struct{})}
	n := newRecNotifier()
	h := startHandler(t, Config{Workers: 2}, Deps{Store: store, Notifier: n})
	defer close(store.release)

	postTo(t, h, payload(t, "g-A", "firing", alert("firing", "127.0.0.1:6060")))
	select {
	case <-store.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("group A's state was never read")
	}
	start := time.Now()
	postTo(t, h, payload(t, "g-B", "firing", alert("firing", "127.0.0.1:6061")))
	for _, want := range []report.EventKind{report.Opened, report.Captured} {
		select {
		case ev := <-n.events:
			if ev.Kind != want || ev.Incident.GroupKey != "g-B" {
				t.Fatalf("got %s for %s, want %s for g-B", ev.Kind, ev.Incident.GroupKey, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("group B waited behind group A's store read (no %s event after %s)", want, time.Since(start).Round(time.Millisecond))
		}
	}
}

// TestResolveForUnknownGroupClosesTheStoredIncidentOnce: two re-sends of
// a resolve for a group this process never saw, after a restart: the
// stored incident is resolved once.
func TestResolveForUnknownGroupClosesTheStoredIncidentOnce(t *testing.T) {
	store := &memStore{}
	n1 := &threadNotifier{}
	h1 := newThreadHandler(t, store, n1, &fakeCapturer{}, 1)
	postTo(t, h1, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")))
	first := n1.waitEvents(t, 2)
	stop(t, h1)

	n2 := &threadNotifier{}
	h2 := newThreadHandler(t, store, n2, &fakeCapturer{}, 4)
	defer stop(t, h2)
	resolved := payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060"))
	postTo(t, h2, resolved)
	postTo(t, h2, resolved)
	evs := n2.waitEvents(t, 1)
	waitFor(t, func() bool { return h2.pool.depth() == 0 })
	time.Sleep(200 * time.Millisecond)
	if _, evs = n2.snapshot(); len(evs) != 1 || evs[0].Kind != report.Resolved || evs[0].Incident.ID != first[0].Incident.ID {
		t.Fatalf("events %+v, want one resolve of %s", evs, first[0].Incident.ID)
	}
	waitFor(t, func() bool { return bookSize(h2) == 0 })
}

// TestCooldownsExpireOldestFirst checks the claim queue: a claim is
// refused within the cooldown, granted after it, and expired claims leave
// memory.
func TestCooldownsExpireOldestFirst(t *testing.T) {
	b := newBook(time.Minute)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i := range 100 {
		if c := b.claim(fmt.Sprintf("t%d", i), "", "", "incident a", t0.Add(time.Duration(i)*100*time.Millisecond)); !c.ok {
			t.Fatalf("claim %d refused: %+v", i, c)
		}
		b.release(fmt.Sprintf("t%d", i), "incident a")
	}
	if c := b.claim("t10", "", "", "incident b", t0.Add(60900*time.Millisecond)); c.ok || !c.last.Equal(t0.Add(time.Second)) {
		t.Fatalf("claim within the cooldown: %+v", c)
	}
	if c := b.claim("t10", "", "", "incident b", t0.Add(61*time.Second)); !c.ok {
		t.Fatalf("claim after the cooldown refused: %+v", c)
	}
	b.release("t10", "incident b")
	b.claim("late", "", "", "incident c", t0.Add(200*time.Second))
	if n, q := len(b.claims.last), len(b.claims.queue); n != 1 || q != 1 {
		t.Fatalf("%d claims and %d queued after every other one expired, want 1 and 1", n, q)
	}
	if c := b.claim("late", "", "", "incident d", t0.Add(300*time.Second)); c.ok || c.holder != "incident c" {
		t.Fatalf("claim of a target in flight: %+v, want refused naming incident c", c)
	}
}

// BenchmarkClaim measures a claim of a new target with 1 and with 10,000
// incidents open, each having captured a target within the cooldown. The
// cost must not grow with the open incidents.
func BenchmarkClaim(b *testing.B) {
	for _, open := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
			const batch = 8192 // new targets claimed before the book is rebuilt
			keys := make([]string, batch)
			for i := range keys {
				keys[i] = fmt.Sprintf("kube/storm/api-%d", i)
			}
			var bk *book
			fill := func() {
				bk = newBook(15 * time.Minute)
				enqueue := func(job) error { return nil }
				for i := range open {
					msg := &webhook.Message{GroupKey: fmt.Sprintf("g%d", i), Data: &template.Data{Status: "firing",
						Alerts: template.Alerts{{Status: "firing", Labels: template.KV{"alertname": "Storm", "pod": fmt.Sprintf("p%d", i)}}}}}
					j, err := bk.accept(msg, t0, noKeys, enqueue)
					if err != nil {
						b.Fatal(err)
					}
					bk.claim("kube/incident/p"+fmt.Sprint(i), "", j.incident.ID, holderOf(j.incident), t0)
				}
			}
			fill()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == batch {
					b.StopTimer()
					fill()
					i = 0
					b.StartTimer()
				}
				now := t0.Add(time.Duration(i) * time.Millisecond)
				if c := bk.claim(keys[i], "", "x", "incident x", now); !c.ok {
					b.Fatalf("claim refused: %+v", c)
				}
				bk.release(keys[i], "incident x") // its capture ends
				i++
			}
		})
	}
}

// TestSavedRecordsCarryTheSchema: incident.json and the group state say
// which schema they follow.
func TestSavedRecordsCarryTheSchema(t *testing.T) {
	store, n := &memStore{}, newRecNotifier()
	h := startHandler(t, Config{}, Deps{Store: store, Notifier: n})
	postTo(t, h, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")))
	n.next(t)
	n.next(t)
	waitFor(t, func() bool { return len(store.keys("incident.json")) == 1 && len(store.keys(".json")) == 2 })
	for _, k := range store.keys(".json") {
		if !strings.Contains(string(store.get(k)), "\"schema\": 1,") {
			t.Fatalf("%s has no schema version:\n%s", k, store.get(k))
		}
	}
}

// noKeys names no alert's target: every alert is decided by its job.
func noKeys(template.Alert) (string, string, bool) { return "", "", false }
