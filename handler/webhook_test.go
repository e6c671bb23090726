package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
)

func TestWebhookRefusesBadRequests(t *testing.T) {
	valid := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))
	cases := []struct {
		name    string
		body    string
		header  map[string]string
		code    int
		errText string
	}{
		{name: "malformed JSON", body: `{"version": "4", "alerts": [`, code: http.StatusBadRequest, errText: "malformed JSON"},
		{name: "two JSON values", body: string(valid) + string(valid), code: http.StatusBadRequest, errText: "more than one value"},
		{name: "wrong content type", body: string(valid), header: map[string]string{"Content-Type": "text/plain"}, code: http.StatusUnsupportedMediaType, errText: "application/json"},
		{name: "no content type", body: string(valid), header: map[string]string{"Content-Type": ""}, code: http.StatusUnsupportedMediaType, errText: "application/json"},
		{name: "empty alerts", body: `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`, code: http.StatusBadRequest, errText: "no alerts"},
		{name: "no data", body: `{"version":"4","groupKey":"g"}`, code: http.StatusBadRequest, errText: "no alerts"},
		{name: "wrong version", body: strings.Replace(string(valid), `"version":"4"`, `"version":"3"`, 1), code: http.StatusBadRequest, errText: "version"},
		{name: "no group key", body: strings.Replace(string(valid), `"groupKey":"g1"`, `"groupKey":""`, 1), code: http.StatusBadRequest, errText: "groupKey"},
		{name: "bad status", body: strings.Replace(string(valid), `"status":"firing","alerts"`, `"status":"burning","alerts"`, 1), code: http.StatusBadRequest, errText: "burning"},
		{name: "wrong type", body: `{"version":4}`, code: http.StatusBadRequest, errText: "malformed JSON"},
		{name: "over the body limit", body: `{"version":"4","pad":"` + strings.Repeat("x", 5000) + `"}`, code: http.StatusRequestEntityTooLarge, errText: "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{MaxBodyBytes: 4096}, nil)
			rec := r.post(t, []byte(tc.body), tc.header)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.code, rec.Body)
			}
			var resp struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("error body is not JSON: %q", rec.Body)
			}
			if !strings.Contains(resp.Error, tc.errText) {
				t.Fatalf("error %q does not mention %q", resp.Error, tc.errText)
			}
			if !strings.Contains(r.logs.String(), "webhook refused") {
				t.Fatalf("no log line for the refusal; logs:\n%s", r.logs)
			}
			r.notifier.none(t, 50*time.Millisecond)
		})
	}
}

func TestWebhookAuthentication(t *testing.T) {
	body := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))
	const token = "s3cret-token-value"
	cases := []struct {
		name   string
		header map[string]string
		code   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"basic instead of bearer", map[string]string{"Authorization": "Basic " + token}, http.StatusUnauthorized},
		{"right token", map[string]string{"Authorization": "Bearer " + token}, http.StatusAccepted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{Auth: Auth{BearerToken: token}}, nil)
			rec := r.post(t, body, tc.header)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.code, rec.Body)
			}
			if strings.Contains(r.logs.String(), token) {
				t.Fatal("the token appears in the logs")
			}
		})
	}
}

func TestFiringAlertIsCapturedStoredAndReported(t *testing.T) {
	r := newRig(t, Config{}, nil)
	rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	opened := r.notifier.next(t)
	if opened.Kind != report.Opened || opened.Incident.AlertName != "HeapGrowing" {
		t.Fatalf("first event %s %q, want opened HeapGrowing", opened.Kind, opened.Incident.AlertName)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Captured || ev.Pod == nil {
		t.Fatalf("second event %s, want captured", ev.Kind)
	}
	if ev.Pod.Target != "static/127.0.0.1-6060" || len(ev.Pod.Profiles) != 2 {
		t.Fatalf("pod report %+v", ev.Pod)
	}
	for _, p := range ev.Pod.Profiles {
		if p.Error != "" || p.Summary == nil || p.Key == "" {
			t.Fatalf("profile %s: error %q, summary %v, key %q", p.Name, p.Error, p.Summary != nil, p.Key)
		}
		if got := r.store.get(p.Key); string(got) != string(heapProfile()) {
			t.Fatalf("stored %s is not the bytes fetched (%d vs %d bytes)", p.Key, len(got), len(heapProfile()))
		}
		want := "incidents/2026/"
		if !strings.HasPrefix(p.Key, "incidents/") || !strings.Contains(p.Key, "/static/127.0.0.1-6060/"+p.Name+".pb.gz") {
			t.Fatalf("key %q does not follow the layout (%s…)", p.Key, want)
		}
	}
	waitFor(t, func() bool { return len(r.store.keys("incident.json")) == 1 })
	if len(r.store.keys("summary.txt")) != 1 {
		t.Fatal("no summary.txt stored")
	}
	var recd record
	if err := json.Unmarshal(r.store.get(r.store.keys("incident.json")[0]), &recd); err != nil {
		t.Fatal(err)
	}
	if recd.Incident.GroupKey != "g1" || len(recd.Pods) != 1 {
		t.Fatalf("incident record %+v", recd)
	}
}

func TestResendsAndResolve(t *testing.T) {
	r := newRig(t, Config{}, nil)
	firing := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))
	for range 3 {
		if rec := r.post(t, firing, nil); rec.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	// A repeat's job may capture before the first job announces the
	// incident: the two events come in either order.
	var first report.Event
	kinds := map[report.EventKind]int{}
	for range 2 {
		ev := r.notifier.next(t)
		kinds[ev.Kind]++
		if ev.Kind == report.Captured {
			first = ev
		}
	}
	if kinds[report.Opened] != 1 || kinds[report.Captured] != 1 {
		t.Fatalf("events %v, want one opened and one captured", kinds)
	}
	r.notifier.none(t, 200*time.Millisecond)
	if n := r.capturer.count("static/127.0.0.1-6060"); n != 1 {
		t.Fatalf("captured %d times, want once", n)
	}
	// Each repeat inside the cooldown is counted and logged as skipped.
	waitFor(t, func() bool { return counterValue(r.h.metrics.skipped.WithLabelValues("cooldown")) == 2 })
	if !strings.Contains(r.logs.String(), "target captured recently; skipping") {
		t.Fatalf("no log line for the cooldown skip; logs:\n%s", r.logs)
	}

	rec := r.post(t, payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060")), nil)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d", rec.Code)
	}
	ev := r.notifier.next(t)
	if ev.Kind != report.Resolved || ev.Incident.ID != first.Incident.ID || ev.Incident.ResolvedAt.IsZero() {
		t.Fatalf("got %s for %s, want resolved for %s", ev.Kind, ev.Incident.ID, first.Incident.ID)
	}
	if n := r.capturer.count("static/127.0.0.1-6060"); n != 1 {
		t.Fatalf("resolve captured again: %d captures", n)
	}
	// A resolved re-send for a closed incident changes nothing.
	rec = r.post(t, payload(t, "g1", "resolved", alert("resolved", "127.0.0.1:6060")), nil)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	r.notifier.none(t, 100*time.Millisecond)

	// The group fires again: a new incident, but the pod is inside its
	// cooldown, so no second capture; its thread says where the evidence is.
	r.post(t, firing, nil)
	if ev := r.notifier.next(t); ev.Kind != report.Opened || ev.Incident.ID == first.Incident.ID && ev.Incident.OpenedAt.Equal(first.Incident.OpenedAt) {
		t.Fatalf("got %s %s, want a new incident", ev.Kind, ev.Incident.ID)
	}
	if ev := r.notifier.next(t); ev.Kind != report.Captured || ev.Pod == nil ||
		!strings.Contains(ev.Pod.Problem, "captured") || !strings.Contains(ev.Pod.Problem, "in incident "+first.Incident.ID) {
		t.Fatalf("got %s %+v, want a line pointing to the capture in %s", ev.Kind, ev.Pod, first.Incident.ID)
	}
	r.notifier.none(t, 200*time.Millisecond)
	if n := r.capturer.count("static/127.0.0.1-6060"); n != 1 {
		t.Fatalf("captured %d times, want once", n)
	}
}

func TestAlertWithNoUsableTarget(t *testing.T) {
	cases := map[string]string{
		"no instance":         "",
		"outside allowed":     "10.1.2.3:6060",
		"a name, not an IP":   "metadata.internal:80",
		"a URL as instance":   "http://127.0.0.1:6060/debug/pprof",
		"port out of range":   "127.0.0.1:99999",
		"instance with space": "127.0.0.1: 6060",
	}
	for name, inst := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{}, nil)
			a := alert("firing", inst)
			if inst == "" {
				delete(a.Labels, "instance")
			}
			if rec := r.post(t, payload(t, "g-"+name, "firing", a), nil); rec.Code != http.StatusAccepted {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			r.notifier.next(t) // opened
			ev := r.notifier.next(t)
			if ev.Kind != report.Captured || ev.Pod == nil || ev.Pod.Problem == "" {
				t.Fatalf("want a report line saying why, got %s %+v", ev.Kind, ev.Pod)
			}
			if n := r.capturer.total(); n != 0 {
				t.Fatalf("captured %d times from an unusable target", n)
			}
			if !strings.Contains(r.logs.String(), "no usable target") {
				t.Fatalf("no log line; logs:\n%s", r.logs)
			}
		})
	}
}

func TestQueueFullAnswers503AndLeavesNoTrace(t *testing.T) {
	capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 10)}
	r := newRig(t, Config{Workers: 1, QueueSize: 1}, capt)
	post := func(group, inst string) int {
		return r.post(t, payload(t, group, "firing", alert("firing", inst)), nil).Code
	}
	if c := post("g1", "127.0.0.1:1001"); c != http.StatusAccepted {
		t.Fatalf("first: %d", c)
	}
	<-capt.busy // g1 captures, detached from the worker, and holds the one detached place
	if c := post("g2", "127.0.0.1:1002"); c != http.StatusAccepted {
		t.Fatalf("second: %d", c)
	}
	// The worker takes g2 and waits for a detached place.
	waitFor(t, func() bool { return r.h.pool.depth() == 0 })
	if c := post("g3", "127.0.0.1:1003"); c != http.StatusAccepted {
		t.Fatalf("third: %d", c)
	}
	if c := post("g4", "127.0.0.1:1004"); c != http.StatusServiceUnavailable {
		t.Fatalf("fourth: %d, want 503", c)
	}
	close(capt.gate)
	// After the queue drains, the retry of g4 opens its incident as if the
	// refused delivery never happened.
	waitFor(t, func() bool { return r.h.pool.depth() == 0 })
	if c := post("g4", "127.0.0.1:1004"); c != http.StatusAccepted {
		t.Fatalf("retry: %d", c)
	}
	seen := map[string]int{}
	for range 8 { // opened+captured for four groups
		ev := r.notifier.next(t)
		seen[ev.Kind.String()]++
	}
	if seen["opened"] != 4 || seen["captured"] != 4 {
		t.Fatalf("events %v", seen)
	}
}

func TestShutdownDrainsOrReportsCutJobs(t *testing.T) {
	t.Run("drains", func(t *testing.T) {
		capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
		r := newRig(t, Config{Workers: 1}, capt)
		r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil)
		<-capt.busy
		go func() { time.Sleep(50 * time.Millisecond); close(capt.gate) }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.h.Shutdown(ctx); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		// Drained: by the time Shutdown returns, the running job has
		// delivered its report and written its incident record.
		for _, want := range []report.EventKind{report.Opened, report.Captured} {
			select {
			case ev := <-r.notifier.events:
				if ev.Kind != want {
					t.Fatalf("got %s, want %s", ev.Kind, want)
				}
				if want == report.Captured && (ev.Pod == nil || len(ev.Pod.Profiles) == 0 || ev.Pod.Profiles[0].Error != "") {
					t.Fatalf("the drained job's report is not a complete capture: %+v", ev.Pod)
				}
			default:
				t.Fatalf("Shutdown returned before the running job delivered its %s event", want)
			}
		}
		if n := len(r.store.keys("incident.json")); n != 1 {
			t.Fatalf("Shutdown returned with %d incident records written, want 1", n)
		}
		if rec := r.post(t, payload(t, "g2", "firing", alert("firing", "127.0.0.1:6061")), nil); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("after shutdown: %d, want 503", rec.Code)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		capt := &fakeCapturer{gate: make(chan struct{}), busy: make(chan string, 1)}
		r := newRig(t, Config{Workers: 1, QueueSize: 1}, capt)
		r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), nil)
		<-capt.busy // g1 captures, detached, in the one detached place
		r.post(t, payload(t, "g2", "firing", alert("firing", "127.0.0.1:6061")), nil)
		waitFor(t, func() bool { return r.h.pool.depth() == 0 }) // the worker holds g2
		r.post(t, payload(t, "g3", "firing", alert("firing", "127.0.0.1:6062")), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := r.h.Shutdown(ctx); err == nil {
			t.Fatal("shutdown reported success with a job still blocked")
		}
		logs := r.logs.String()
		if strings.Count(logs, "job cut short by shutdown") != 3 {
			t.Fatalf("want the capturing, the started and the queued job logged as cut short; logs:\n%s", logs)
		}
		// The running jobs were canceled, not abandoned: their incident
		// records are written and say the capture was cut short. The
		// queued job never started.
		keys := r.store.keys("incident.json")
		groups := map[string]bool{}
		for _, k := range keys {
			var recd record
			if err := json.Unmarshal(r.store.get(k), &recd); err != nil {
				t.Fatal(err)
			}
			groups[recd.Incident.GroupKey] = true
			if len(recd.Pods) != 1 || len(recd.Pods[0].Profiles) == 0 {
				t.Fatalf("incident record %+v, want its one pod", recd)
			}
			for _, p := range recd.Pods[0].Profiles {
				if !strings.Contains(p.Error, "canceled") {
					t.Fatalf("profile %s of the cut job %s: error %q, want it marked canceled", p.Name, recd.Incident.GroupKey, p.Error)
				}
			}
		}
		if !groups["g1"] || groups["g3"] {
			t.Fatalf("incident records for %v, want g1's (and perhaps g2's), never the unstarted g3's", groups)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	r := newRig(t, Config{}, nil)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if c := get("/healthz").Code; c != http.StatusOK {
		t.Fatalf("healthz %d", c)
	}
	if c := get("/readyz").Code; c != http.StatusOK {
		t.Fatalf("readyz %d after Start", c)
	}
	r.post(t, []byte("{"), nil)
	m := get("/metrics").Body.String()
	for _, want := range []string{
		`alertprof_webhook_requests_total{result="bad_request"} 1`,
		`alertprof_captures_total{profile="heap",result="timeout"} 0`,
		`alertprof_queue_depth 0`,
		`alertprof_webhook_duration_seconds_count 1`,
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = r.h.Shutdown(ctx)
	if c := get("/readyz").Code; c != http.StatusServiceUnavailable {
		t.Fatalf("readyz %d after Shutdown", c)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
