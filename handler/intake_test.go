package handler

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report"
)

// kindAlert is a firing alert for instance of one kind.
func kindAlert(instance, kind string) template.Alert {
	a := alert("firing", instance)
	a.Labels["alertprof_kind"] = kind
	a.Fingerprint += "-" + kind
	return a
}

func message(groupKey string, alerts ...template.Alert) *webhook.Message {
	return &webhook.Message{GroupKey: groupKey, Data: &template.Data{Status: "firing", Alerts: alerts}}
}

// staticKeys names targets as the static resolver does.
func staticKeys(t *testing.T) func(template.Alert) (string, string, bool) {
	h := &Handler{deps: Deps{Resolver: staticResolver(t)}}
	return h.intakeKey
}

// TestIntakeDecidesCooldowns drives the book's intake step by step: what
// each notification leaves for a job, and whether it takes a job at all.
func TestIntakeDecidesCooldowns(t *testing.T) {
	b := newBook(15 * time.Minute)
	keyOf := staticKeys(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var queued []job
	enqueue := func(j job) error { queued = append(queued, j); return nil }
	accept := func(msg *webhook.Message, at time.Duration) job {
		t.Helper()
		j, err := b.accept(msg, t0.Add(at), keyOf, enqueue)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	mem := kindAlert("127.0.0.1:6060", "memory")

	first := accept(message("g1", mem), 0)
	if first.idle || len(first.alerts) != 1 || len(first.notes) != 0 || len(queued) != 1 {
		t.Fatalf("first notification: %d alerts, %d notes, idle %v, %d queued; want its alert queued", len(first.alerts), len(first.notes), first.idle, len(queued))
	}
	// A re-send of the group, before and after its job captured: no job.
	if j := accept(message("g1", mem), time.Second); !j.idle || len(queued) != 1 || len(j.cooled) != 1 {
		t.Fatalf("re-send before the capture: idle %v, cooled %v, %d queued; want no job", j.idle, j.cooled, len(queued))
	}
	if c := b.claim("static/127.0.0.1-6060", "memory", first.incident.ID, holderOf(first.incident), t0.Add(2*time.Second)); !c.ok {
		t.Fatalf("the job's claim of its own reservation was refused: %+v", c)
	}
	b.release("static/127.0.0.1-6060", holderOf(first.incident))
	if j := accept(message("g1", mem), 3*time.Second); !j.idle || len(queued) != 1 {
		t.Fatal("re-send after the capture took a job")
	}
	// Another group, same pod and kind: a job with nothing to capture,
	// one note pointing to the capture; only once for that incident.
	other := accept(message("g2", mem), 4*time.Second)
	if len(other.alerts) != 0 || len(other.notes) != 1 || other.notes[0].cooled != claimKey("static/127.0.0.1-6060", "memory") {
		t.Fatalf("other group: %d alerts, notes %+v; want one cooldown note", len(other.alerts), other.notes)
	}
	if j := accept(message("g2", mem), 5*time.Second); !j.idle {
		t.Fatal("the other group's re-send took a job to say the same again")
	}
	// Same pod, another kind: captured.
	if j := accept(message("g2", mem, kindAlert("127.0.0.1:6060", "latency")), 6*time.Second); len(j.alerts) != 1 || alertKind(j.alerts[0]) != "latency" || len(j.notes) != 0 {
		t.Fatalf("latency alert on a pod captured for memory: %d alerts, %d notes; want it queued", len(j.alerts), len(j.notes))
	}
	// After the cooldown, captured again.
	if j := accept(message("g3", mem), 16*time.Minute); len(j.alerts) != 1 {
		t.Fatal("alert after the cooldown not queued for capture")
	}
}

func alertKind(a template.Alert) string { return a.Labels["alertprof_kind"] }

// TestIntakeRefusedLeavesNoReservation: a notification refused with 503
// reserves nothing, so its retry captures.
func TestIntakeRefusedLeavesNoReservation(t *testing.T) {
	b := newBook(15 * time.Minute)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	full := func(job) error { return errQueueFull }
	if _, err := b.accept(message("g1", alert("firing", "127.0.0.1:6060")), t0, staticKeys(t), full); !errors.Is(err, errQueueFull) {
		t.Fatalf("err %v", err)
	}
	j, err := b.accept(message("g1", alert("firing", "127.0.0.1:6060")), t0, staticKeys(t), func(job) error { return nil })
	if err != nil || len(j.alerts) != 1 {
		t.Fatalf("retry: %d alerts, err %v; want the alert queued", len(j.alerts), err)
	}
}

// TestCooledNotificationsTakeNoQueueSlot fills the job queue, then sends
// notifications whose targets all cool down: re-sends of the capturing
// groups, and a new group for a pod just captured. None takes a queue
// slot, so none is refused; a notification with a new pod still is.
func TestCooledNotificationsTakeNoQueueSlot(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 10)}
	r := newRig(t, Config{Workers: 1, QueueSize: 1}, capt)
	post := func(group, inst string) int {
		return r.post(t, payload(t, group, "firing", alert("firing", inst)), nil).Code
	}
	if c := post("g1", "127.0.0.1:1001"); c != http.StatusAccepted {
		t.Fatalf("g1: %d", c)
	}
	<-capt.busy
	if c := post("g2", "127.0.0.1:1002"); c != http.StatusAccepted {
		t.Fatalf("g2: %d", c)
	}
	waitFor(t, func() bool { return r.h.pool.depth() == 0 })
	if c := post("g3", "127.0.0.1:1003"); c != http.StatusAccepted {
		t.Fatalf("g3: %d", c)
	}
	if c := post("g4", "127.0.0.1:1004"); c != http.StatusServiceUnavailable {
		t.Fatalf("g4 with the queue full: %d, want 503", c)
	}
	for range 20 {
		for i, g := range []string{"g1", "g2", "g3"} {
			if c := post(g, "127.0.0.1:100"+itoa(i+1)); c != http.StatusAccepted {
				t.Fatalf("re-send of %s with the queue full: %d, want 202", g, c)
			}
		}
	}
	if c := post("g5", "127.0.0.1:1001"); c != http.StatusAccepted {
		t.Fatalf("new group for a pod being captured, with the queue full: %d, want 202", c)
	}
	if d := r.h.pool.depth(); d != 1 {
		t.Fatalf("queue depth %d, want g3's job alone", d)
	}
	// g5's thread says where the pod's evidence is, before g1's capture
	// has even finished.
	var note *report.PodReport
	for note == nil {
		if ev := r.notifier.next(t); ev.Kind == report.Captured && ev.Incident.GroupKey == "g5" {
			note = ev.Pod
		}
	}
	if !strings.Contains(note.Problem, "not captured again") || !strings.Contains(note.Problem, "reports in its incident's thread") {
		t.Fatalf("g5's note: %q", note.Problem)
	}
	close(capt.gate)
	waitFor(t, func() bool { return r.h.book.inFlight() == 0 && r.h.pool.depth() == 0 })
	for _, target := range []string{"static/127.0.0.1-1001", "static/127.0.0.1-1002", "static/127.0.0.1-1003"} {
		if n := r.capturer.count(target); n != 1 {
			t.Fatalf("%s captured %d times, want once", target, n)
		}
	}
}

// TestCooldownIsPerKindAndNeverSilent: a latency alert on a pod a memory
// alert captured is captured; a memory alert of another incident within
// the cooldown is not, and its thread points to the first capture's
// evidence.
func TestCooldownIsPerKindAndNeverSilent(t *testing.T) {
	r := newRig(t, Config{}, nil)
	captured := func(group string) report.Event {
		t.Helper()
		for {
			if ev := r.notifier.next(t); ev.Kind == report.Captured && ev.Incident.GroupKey == group {
				return ev
			}
		}
	}
	r.post(t, payload(t, "mem", "firing", kindAlert("127.0.0.1:6060", "memory")), nil)
	first := captured("mem")
	if first.Pod.Problem != "" {
		t.Fatalf("memory alert: %q", first.Pod.Problem)
	}
	r.post(t, payload(t, "lat", "firing", kindAlert("127.0.0.1:6060", "latency")), nil)
	if ev := captured("lat"); ev.Pod.Problem != "" || ev.Pod.Kind != "latency" {
		t.Fatalf("latency alert after a memory capture: kind %q, problem %q; want captured", ev.Pod.Kind, ev.Pod.Problem)
	}
	r.post(t, payload(t, "mem2", "firing", kindAlert("127.0.0.1:6060", "memory")), nil)
	ev := captured("mem2")
	for _, want := range []string{"not captured again", "in incident " + first.Incident.ID, "memory alert",
		"summary " + r.store.Link(first.Pod.SummaryKey), "heap " + r.store.Link(first.Pod.Profiles[0].Key)} {
		if !strings.Contains(ev.Pod.Problem, want) {
			t.Fatalf("note %q does not say %q", ev.Pod.Problem, want)
		}
	}
	if n := r.capturer.count("static/127.0.0.1-6060"); n != 2 {
		t.Fatalf("captured %d times, want twice (memory and latency)", n)
	}
	if v := counterValue(r.h.metrics.skipped.WithLabelValues("cooldown")); v != 1 {
		t.Fatalf("skipped{cooldown} = %v, want 1", v)
	}
}

// TestDroppedCaptureDoesNotCoolDown: a capture the rate limit dropped
// before it started leaves no cooldown behind: the group's re-send
// captures the pod.
func TestDroppedCaptureDoesNotCoolDown(t *testing.T) {
	capt := &fakeCapturer{}
	r := newRig(t, Config{CapturesPerMinute: 1, JobTimeout: 300 * time.Millisecond}, capt)
	body := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061"))
	r.post(t, body, nil)
	dropped := ""
	for dropped == "" {
		if ev := r.notifier.next(t); ev.Kind == report.Captured && strings.Contains(ev.Pod.Problem, "captures per minute") {
			dropped = ev.Pod.Target
		}
	}
	waitFor(t, func() bool { return r.h.book.inFlight() == 0 })
	// The re-send waits for the next rate token (a minute at 1 a minute);
	// what matters is that it is queued for capture, not decided as cooled.
	j, err := r.h.book.accept(message("g1", alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061")), time.Now(), r.h.intakeKey, func(job) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(j.alerts) != 1 || "static/"+strings.ReplaceAll(j.alerts[0].Labels["instance"], ":", "-") != dropped {
		t.Fatalf("re-send queued %d alerts; want only the dropped %s", len(j.alerts), dropped)
	}
}
