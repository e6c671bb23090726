package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
)

// clock is a settable time source for progress tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func (r *rig) postCapture(t *testing.T, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return serve(r.h, req)
}

func (r *rig) captureStatus(t *testing.T, id string) CaptureStatus {
	t.Helper()
	rec := serve(r.h, httptestGet("/api/v1/captures/"+id))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET capture %s: %d %s", id, rec.Code, rec.Body)
	}
	return decodeStatus(t, rec.Body.Bytes())
}

func decodeStatus(t *testing.T, b []byte) CaptureStatus {
	t.Helper()
	var st CaptureStatus
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return st
}

// accepted posts body and returns the capture's first status.
func (r *rig) accepted(t *testing.T, body string) CaptureStatus {
	t.Helper()
	rec := r.postCapture(t, body, nil)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", rec.Code, rec.Body)
	}
	st := decodeStatus(t, rec.Body.Bytes())
	if loc := rec.Header().Get("Location"); loc != "/api/v1/captures/"+st.ID || st.ID == "" {
		t.Fatalf("Location %q for capture %q", loc, st.ID)
	}
	return st
}

func (r *rig) waitDone(t *testing.T, id string) CaptureStatus {
	t.Helper()
	c := r.h.ondemand.get(id)
	if c == nil {
		t.Fatalf("capture %s unknown", id)
	}
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the capture did not finish")
	}
	return r.captureStatus(t, id)
}

func TestCaptureRequestRefusals(t *testing.T) {
	cases := []struct {
		name, body, want string
		code             int
	}{
		{"malformed", `{"address":`, "malformed capture request", http.StatusBadRequest},
		{"unknown field", `{"address":"127.0.0.1:6060","profile":["heap"]}`, `unknown field "profile"`, http.StatusBadRequest},
		{"two values", `{"address":"127.0.0.1:6060"} {}`, "more than one value", http.StatusBadRequest},
		{"no target", `{"profiles":["heap"]}`, "no target", http.StatusBadRequest},
		{"pod and selector", `{"namespace":"shop","pod":"a","selector":"app=a"}`, "not both", http.StatusBadRequest},
		{"pod without namespace", `{"pod":"a"}`, "namespace is required", http.StatusBadRequest},
		{"address and namespace", `{"address":"127.0.0.1:6060","namespace":"shop"}`, "address alone", http.StatusBadRequest},
		{"bad selector", `{"namespace":"shop","selector":"app in (a"}`, "selector", http.StatusBadRequest},
		{"empty selector", `{"namespace":"shop","selector":" "}`, "every pod", http.StatusBadRequest},
		{"unknown profile", `{"address":"127.0.0.1:6060","profiles":["heap","flame"]}`, `unknown profile "flame"`, http.StatusBadRequest},
		{"unknown kind", `{"address":"127.0.0.1:6060","kind":"slowness"}`, `unknown kind "slowness"`, http.StatusBadRequest},
		{"cpu window too long", `{"address":"127.0.0.1:6060","cpu_seconds":600}`, "cpu_seconds", http.StatusBadRequest},
		{"address outside the allowed CIDRs", `{"address":"10.1.2.3:6060"}`, "outside the allowed CIDRs", http.StatusForbidden},
		{"pod in static mode", `{"namespace":"shop","pod":"a"}`, "no instance label", http.StatusNotFound},
		{"unknown incident", `{"address":"127.0.0.1:6060","incident":"nope"}`, `incident "nope"`, http.StatusNotFound},
		{"too large", `{"reason":"` + strings.Repeat("x", maxCaptureRequestBytes) + `"}`, "limit", http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{}, nil)
			rec := r.postCapture(t, tc.body, nil)
			var answer struct{ Error string }
			_ = json.Unmarshal(rec.Body.Bytes(), &answer)
			if rec.Code != tc.code || !strings.Contains(answer.Error, tc.want) {
				t.Fatalf("status %d %s, want %d with %q", rec.Code, rec.Body, tc.code, tc.want)
			}
			if r.capturer.total() != 0 {
				t.Fatal("a refused request captured something")
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		r := newRig(t, Config{}, nil)
		rec := r.postCapture(t, `{"address":"127.0.0.1:6060"}`, map[string]string{"Content-Type": "text/plain"})
		if rec.Code != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", rec.Code)
		}
	})
	t.Run("unknown capture", func(t *testing.T) {
		r := newRig(t, Config{}, nil)
		if rec := serve(r.h, httptestGet("/api/v1/captures/nope")); rec.Code != http.StatusNotFound {
			t.Fatalf("status %d", rec.Code)
		}
	})
}

func TestCaptureRequestAuthentication(t *testing.T) {
	const token = "on-demand-s3cret"
	r := newRig(t, Config{Auth: Auth{BearerToken: token}}, nil)
	body := `{"address":"127.0.0.1:6060"}`
	for name, header := range map[string]map[string]string{
		"no token":    nil,
		"wrong token": {"Authorization": "Bearer nope"},
	} {
		rec := r.postCapture(t, body, header)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: status %d, want 401 with a challenge", name, rec.Code)
		}
	}
	if r.capturer.total() != 0 {
		t.Fatal("an unauthenticated request captured")
	}
	rec := r.postCapture(t, body, map[string]string{"Authorization": "Bearer " + token})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d with the token: %s", rec.Code, rec.Body)
	}
	id := decodeStatus(t, rec.Body.Bytes()).ID
	if got := serve(r.h, httptestGet("/api/v1/captures/"+id)); got.Code != http.StatusUnauthorized {
		t.Fatalf("GET without the token: %d", got.Code)
	}
	req := httptestGet("/api/v1/captures/" + id)
	req.Header.Set("Authorization", "Bearer "+token)
	if got := serve(r.h, req); got.Code != http.StatusOK {
		t.Fatalf("GET with the token: %d", got.Code)
	}
	if strings.Contains(r.logs.String(), token) {
		t.Fatal("the token appears in the logs")
	}
}

// TestCaptureProgressAndReport follows one capture: queued or capturing
// at once, the CPU window's elapsed seconds while it records, then the pod
// report with its stored artifacts, without any notification.
func TestCaptureProgressAndReport(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
	r := newRig(t, Config{}, capt)
	clk := &clock{now: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	r.h.deps.Now = clk.Now

	st := r.accepted(t, `{"address":"127.0.0.1:6060","profiles":["cpu","goroutine"],"cpu_seconds":30}`)
	if st.State != StateRunning || len(st.Targets) != 1 || st.Targets[0].Target != "static/127.0.0.1-6060" {
		t.Fatalf("first status %+v", st)
	}
	<-capt.busy // the capture runs, held at the gate
	clk.advance(12 * time.Second)
	st = r.captureStatus(t, st.ID)
	ts := st.Targets[0]
	if ts.State != StateCapturing || len(ts.Profiles) != 2 {
		t.Fatalf("target status %+v", ts)
	}
	cpu, gor := ts.Profiles[0], ts.Profiles[1]
	if cpu.Name != "cpu" || cpu.State != StateCapturing || cpu.Seconds != 30 || cpu.ElapsedSeconds != 12 {
		t.Fatalf("cpu progress %+v, want capturing 12s of 30s", cpu)
	}
	if gor.Name != "goroutine" || gor.State != StateCapturing || gor.Seconds != 0 {
		t.Fatalf("goroutine progress %+v", gor)
	}
	if len(st.Pods) != 0 {
		t.Fatalf("reports before the capture ended: %+v", st.Pods)
	}

	close(capt.gate)
	st = r.waitDone(t, st.ID)
	if st.State != StateDone || len(st.Pods) != 1 || st.FinishedAt.IsZero() {
		t.Fatalf("final status %+v", st)
	}
	pr := st.Pods[0]
	if pr.Target != "static/127.0.0.1-6060" || pr.AlertName != onDemandAlertName || pr.Headline == "" || pr.SummaryKey == "" {
		t.Fatalf("pod report %+v", pr)
	}
	for i, want := range []string{"cpu", "goroutine"} {
		p := pr.Profiles[i]
		if p.Name != want || p.Error != "" || p.Summary == nil || p.Link != "mem://"+p.Key || r.store.get(p.Key) == nil {
			t.Fatalf("profile %d: %+v", i, p)
		}
		if ts := st.Targets[0].Profiles[i]; ts.State != StateDone {
			t.Fatalf("profile %s state %s after the capture", ts.Name, ts.State)
		}
	}
	waitFor(t, func() bool { return len(r.store.keys("incident.json")) == 1 })
	r.notifier.none(t, 100*time.Millisecond)
}

// TestCaptureNotifiesLikeAnIncident: with notify, the request opens an
// incident and posts the pod's report in it, as an alert does.
func TestCaptureNotifiesLikeAnIncident(t *testing.T) {
	r := newRig(t, Config{}, nil)
	st := r.accepted(t, `{"address":"127.0.0.1:6060","notify":true,"reason":"checkout is slow"}`)
	opened := r.notifier.next(t)
	if opened.Kind != report.Opened || opened.Incident.ID != st.Incident || opened.Incident.AlertName != onDemandAlertName ||
		opened.Incident.Annotations["summary"] != "capture on demand: checkout is slow" {
		t.Fatalf("opened event %+v", opened)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil || ev.Incident.ID != st.Incident {
		t.Fatalf("captured event %+v", ev)
	}
	done := r.waitDone(t, st.ID)
	if len(done.Pods) != 1 || done.Pods[0].Headline != ev.Pod.Headline || len(done.Pods[0].Profiles) != len(ev.Pod.Profiles) {
		t.Fatalf("the API's report differs from the one posted: %+v vs %+v", done.Pods, ev.Pod)
	}
}

// TestCaptureBypassesCooldownButNotInFlight: a pod an alert just captured
// can be captured again on demand; a pod being captured right now cannot,
// and the refusal names who is capturing it.
func TestCaptureBypassesCooldownButNotInFlight(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
	r := newRig(t, Config{}, capt)
	if rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook %d", rec.Code)
	}
	opened := r.notifier.next(t)
	<-capt.busy
	rec := r.postCapture(t, `{"address":"127.0.0.1:6060"}`, nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), opened.Incident.ID) {
		t.Fatalf("while the alert captures: %d %s, want 409 naming incident %s", rec.Code, rec.Body, opened.Incident.ID)
	}
	capt.gate <- struct{}{}
	if ev := r.notifier.next(t); ev.Kind != report.Captured {
		t.Fatalf("event %s", ev.Kind)
	}
	// Within the cooldown: a re-sent alert captures nothing, a person can.
	waitFor(t, func() bool { return inflightLen(r.h) == 0 })
	st := r.accepted(t, `{"address":"127.0.0.1:6060"}`)
	<-capt.busy
	rec = r.postCapture(t, `{"address":"127.0.0.1:6060"}`, nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), st.ID) {
		t.Fatalf("while another request captures: %d %s", rec.Code, rec.Body)
	}
	capt.gate <- struct{}{}
	if done := r.waitDone(t, st.ID); len(done.Pods) != 1 || done.Pods[0].Problem != "" {
		t.Fatalf("on-demand capture within the cooldown: %+v", done.Pods)
	}
	if n := capt.count("static/127.0.0.1-6060"); n != 2 {
		t.Fatalf("%d captures of the pod, want 2 (alert, then on demand)", n)
	}
}

func inflightLen(h *Handler) int { return h.book.inFlight() }

// TestCaptureContinuesAnOpenIncident: naming an open incident posts the
// report in its thread instead of opening another.
func TestCaptureContinuesAnOpenIncident(t *testing.T) {
	r := newRig(t, Config{}, nil)
	if rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook %d", rec.Code)
	}
	opened := r.notifier.next(t)
	r.notifier.next(t) // the alert's pod report
	waitFor(t, func() bool { return inflightLen(r.h) == 0 })
	body, _ := json.Marshal(CaptureRequest{Address: "127.0.0.1:6061", Notify: true, Incident: opened.Incident.ID})
	st := r.accepted(t, string(bytes.TrimSpace(body)))
	if st.Incident != opened.Incident.ID {
		t.Fatalf("capture in incident %s, want %s", st.Incident, opened.Incident.ID)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Incident.ID != opened.Incident.ID || ev.Pod.Target != "static/127.0.0.1-6061" {
		t.Fatalf("event %s in %s for %v", ev.Kind, ev.Incident.ID, ev.Pod)
	}
}

// TestShutdownCutsOnDemandCaptures: a capture still running when the
// shutdown deadline passes is canceled, reported as such, and Shutdown
// says so; new requests are refused with 503.
func TestShutdownCutsOnDemandCaptures(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
	r := newRig(t, Config{}, capt)
	st := r.accepted(t, `{"address":"127.0.0.1:6060"}`)
	<-capt.busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.h.Shutdown(ctx); err == nil || !strings.Contains(err.Error(), "on-demand") {
		t.Fatalf("Shutdown returned %v, want an error about the cut capture", err)
	}
	done := r.captureStatus(t, st.ID)
	if done.State != StateDone || len(done.Pods) != 1 {
		t.Fatalf("status after shutdown %+v", done)
	}
	for _, p := range done.Pods[0].Profiles {
		if !strings.Contains(p.Error, "cancel") {
			t.Fatalf("profile %s: error %q, want canceled", p.Name, p.Error)
		}
	}
	if rec := r.postCapture(t, `{"address":"127.0.0.1:6060"}`, nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("a request after shutdown: %d %s", rec.Code, rec.Body)
	}
}

// TestFinishedCaptureOutlivesARestart: a finished capture is read back
// from its incident record by a receiver that never ran it.
func TestFinishedCaptureOutlivesARestart(t *testing.T) {
	r := newRig(t, Config{}, nil)
	st := r.accepted(t, `{"address":"127.0.0.1:6060","profiles":["heap","goroutine"]}`)
	want := r.waitDone(t, st.ID)
	waitFor(t, func() bool { return len(r.store.keys("incident.json")) == 1 })

	restarted := startHandler(t, Config{}, Deps{Store: r.store})
	rec := serve(restarted, httptestGet("/api/v1/captures/"+st.ID))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET after a restart: %d %s", rec.Code, rec.Body)
	}
	got := decodeStatus(t, rec.Body.Bytes())
	if got.State != StateDone || got.ID != st.ID || len(got.Pods) != 1 || len(got.Targets) != 1 {
		t.Fatalf("stored status %+v", got)
	}
	if got.Pods[0].Headline != want.Pods[0].Headline || len(got.Pods[0].Profiles) != 2 || got.Pods[0].Profiles[0].Link != want.Pods[0].Profiles[0].Link {
		t.Fatalf("stored report %+v\nwant %+v", got.Pods[0], want.Pods[0])
	}
	if ts := got.Targets[0]; ts.State != StateDone || len(ts.Profiles) != 2 || ts.Profiles[1].Name != "goroutine" || ts.Profiles[1].State != StateDone {
		t.Fatalf("stored target status %+v", ts)
	}

	// Unknown, malformed, and an alert's incident: not captures.
	alertRec := r.post(t, payload(t, "g-alert", "firing", alert("firing", "127.0.0.1:6061")), nil)
	var accepted struct{ Incident string }
	if err := json.Unmarshal(alertRec.Body.Bytes(), &accepted); err != nil || accepted.Incident == "" {
		t.Fatalf("alert: %s", alertRec.Body)
	}
	waitFor(t, func() bool { return len(r.store.keys("incident.json")) == 2 })
	for _, id := range []string{"20261123T010203Z-0badc0de", "../../state", st.ID + "x", accepted.Incident} {
		if rec := serve(restarted, httptestGet("/api/v1/captures/"+id)); rec.Code != http.StatusNotFound {
			t.Errorf("GET %q: %d, want 404", id, rec.Code)
		}
	}
}
