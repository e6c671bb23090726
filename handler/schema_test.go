package handler

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// legacyGroup, legacyIncident and legacyThread are what the unversioned
// records in testdata/legacy hold (see testdata/README.md).
const (
	legacyGroup    = `{}/{severity="warning"}:{alertname="HeapGrowing"}`
	legacyIncident = "20261130T090000Z-4e683c7a"
)

var legacyThread = report.Thread{Channel: "C1", TS: "1700000000.000001"}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/legacy/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLegacyRecordsLoad: a receiver reading the records of the release
// before schema versions continues that incident: same ID and thread, its
// two captured pods kept in the record and inside their cooldown, and only
// the new pod captured.
func TestLegacyRecordsLoad(t *testing.T) {
	store := &memStore{}
	opened := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	inc := report.Incident{ID: legacyIncident, OpenedAt: opened}
	ctx := context.Background()
	if err := store.Put(ctx, groupStateKey(legacyGroup), readTestdata(t, "groupstate.json"), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, recordKey(inc), readTestdata(t, "incident.json"), capture.Meta{}); err != nil {
		t.Fatal(err)
	}

	n := &threadNotifier{}
	capt := &fakeCapturer{}
	h := newThreadHandler(t, store, n, capt, 2)
	defer stop(t, h)
	h.deps.Now = func() time.Time { return opened.Add(5 * time.Minute) }
	var st groupState
	if ok, err := h.loadJSON(ctx, groupStateKey(legacyGroup), &st); !ok || err != nil {
		t.Fatalf("legacy group state: found %v, %v", ok, err)
	}
	if st.Incident.ID != legacyIncident || st.Incident.Thread != legacyThread || !st.Captured["static/127.0.0.1-6061"].Equal(opened) {
		t.Fatalf("legacy group state read as %+v", st)
	}

	postTo(t, h, payload(t, legacyGroup, "firing",
		alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061"), alert("firing", "127.0.0.1:6062")))
	evs := n.waitEvents(t, 1)
	if parents, _ := n.snapshot(); parents != 0 {
		t.Fatalf("%d new threads; want the legacy incident's thread continued", parents)
	}
	if ev := evs[0]; ev.Kind != report.Captured || ev.Incident.ID != legacyIncident || ev.Incident.Thread != legacyThread ||
		ev.Pod.Target != "static/127.0.0.1-6062" {
		t.Fatalf("got %s of %v in %s %+v; want the new pod in the legacy incident's thread", ev.Kind, ev.Pod, ev.Incident.ID, ev.Incident.Thread)
	}
	if capt.total() != 1 {
		t.Fatalf("%d captures; the legacy record's pods are inside their cooldown", capt.total())
	}
	var rec record
	waitFor(t, func() bool {
		ok, err := h.loadJSON(ctx, recordKey(inc), &rec)
		return ok && err == nil && len(rec.Pods) == 3
	})
	if rec.Schema != schemaVersion || rec.Incident.Thread != legacyThread || rec.Pods[0].Target != "static/127.0.0.1-6061" ||
		!rec.Pods[0].CapturedAt.Equal(opened) || rec.Pods[0].Headline == "" {
		t.Fatalf("the rewritten record lost the legacy pods or their times: schema %d, thread %+v, first pod %+v", rec.Schema, rec.Incident.Thread, rec.Pods[0])
	}
}

// TestNewerSchemaIsRefused: a record a newer alertprof wrote is an error
// that says so, for the group state and for incident.json alike.
func TestNewerSchemaIsRefused(t *testing.T) {
	for _, name := range []string{"groupstate.json", "incident.json"} {
		t.Run(name, func(t *testing.T) {
			b := strings.Replace(string(readTestdata(t, name)), "{", `{"schema": 2,`, 1)
			var v struct {
				Incident report.Incident `json:"incident"`
			}
			err := decodeRecord([]byte(b), &v)
			if !errors.Is(err, errNewerSchema) || !strings.Contains(err.Error(), "schema 2") {
				t.Fatalf("decoding schema 2: %v, want an error naming the newer schema", err)
			}
			if v.Incident.ID != "" {
				t.Fatal("a newer record was read anyway")
			}
			if err := decodeRecord(readTestdata(t, name), &v); err != nil || v.Incident.ID != legacyIncident {
				t.Fatalf("the unversioned record: %v, incident %q", err, v.Incident.ID)
			}
		})
	}
	// Through the handler: a newer group state is not taken for a new one
	// silently; the failure is counted and logged, and the job goes on.
	store, n := &memStore{}, newRecNotifier()
	logs := &syncBuffer{}
	h := startHandler(t, Config{}, Deps{Store: store, Notifier: n, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	newer := strings.Replace(string(readTestdata(t, "groupstate.json")), "{", `{"schema": 2,`, 1)
	if err := store.Put(context.Background(), groupStateKey("g-newer"), []byte(newer), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	postTo(t, h, payload(t, "g-newer", "firing", alert("firing", "127.0.0.1:6060")))
	n.next(t)
	if !strings.Contains(logs.String(), "written by a newer alertprof") {
		t.Fatalf("no log line about the newer record:\n%s", logs)
	}
	if v := counterValue(h.metrics.failures.WithLabelValues("record")); v != 1 {
		t.Fatalf("failures{stage=record} = %v", v)
	}
}
