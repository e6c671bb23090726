package handler

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report"
)

func TestBasicAuth(t *testing.T) {
	body := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))
	cases := []struct {
		name string
		auth Auth
		set  func(*http.Request)
		code int
	}{
		{"basic ok", Auth{Username: "am", Password: "pw"}, func(r *http.Request) { r.SetBasicAuth("am", "pw") }, http.StatusAccepted},
		{"basic wrong password", Auth{Username: "am", Password: "pw"}, func(r *http.Request) { r.SetBasicAuth("am", "nope") }, http.StatusUnauthorized},
		{"basic wrong user", Auth{Username: "am", Password: "pw"}, func(r *http.Request) { r.SetBasicAuth("root", "pw") }, http.StatusUnauthorized},
		{"basic missing", Auth{Username: "am", Password: "pw"}, func(*http.Request) {}, http.StatusUnauthorized},
		{"either: bearer", Auth{BearerToken: "tok", Username: "am", Password: "pw"}, func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }, http.StatusAccepted},
		{"either: basic", Auth{BearerToken: "tok", Username: "am", Password: "pw"}, func(r *http.Request) { r.SetBasicAuth("am", "pw") }, http.StatusAccepted},
		{"bearer only refuses basic", Auth{BearerToken: "tok"}, func(r *http.Request) { r.SetBasicAuth("am", "tok") }, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{Auth: tc.auth}, nil)
			req := newWebhookRequest(body)
			tc.set(req)
			rec := serve(r.h, req)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if tc.code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate challenge")
			}
			if strings.Contains(r.logs.String(), "pw") || strings.Contains(r.logs.String(), "tok") {
				t.Fatal("a credential appears in the logs")
			}
		})
	}
}

func TestPayloadLimits(t *testing.T) {
	big := alert("firing", "127.0.0.1:6060")
	big.Annotations["description"] = strings.Repeat("x", 600)
	var many []template.Alert
	for range 6 {
		many = append(many, alert("firing", "127.0.0.1:6060"))
	}
	bigLabel := alert("firing", "127.0.0.1:6060")
	bigLabel.Labels["container"] = strings.Repeat("y", 513)
	bigBody := payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"))
	bigBody = append(bigBody[:len(bigBody)-1], []byte(`,"pad":"`+strings.Repeat("z", 8<<10)+`"}`)...)
	cases := []struct {
		name, result, errText string
		code                  int
		body                  []byte
	}{
		{"annotation too large", resultLabelTooBig, "longer than 512 bytes", http.StatusBadRequest, payload(t, "g1", "firing", big)},
		{"label too large", resultLabelTooBig, "longer than 512 bytes", http.StatusBadRequest, payload(t, "g1", "firing", bigLabel)},
		{"too many alerts", resultTooMany, "max_alerts", http.StatusBadRequest, payload(t, "g1", "firing", many...)},
		{"body too large", resultTooLarge, "larger than the 4096-byte limit", http.StatusRequestEntityTooLarge, bigBody},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{MaxLabelBytes: 512, MaxAlerts: 5, MaxBodyBytes: 4096}, nil)
			rec := r.post(t, tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.errText) {
				t.Fatalf("status %d body %s; want %d mentioning %q", rec.Code, rec.Body, tc.code, tc.errText)
			}
			if v := counterValue(r.h.metrics.requests.WithLabelValues(tc.result)); v != 1 {
				t.Fatalf("requests{result=%q} = %v", tc.result, v)
			}
			if logs := r.logs.String(); !strings.Contains(logs, "webhook refused") || !strings.Contains(logs, tc.errText) {
				t.Fatalf("no log line saying why the payload was refused; logs:\n%s", logs)
			}
			r.notifier.none(t, 50*time.Millisecond)
			if n := r.capturer.total(); n != 0 {
				t.Fatalf("a refused payload was captured %d times", n)
			}
		})
	}
}

func TestCaptureConcurrencyIsBoundedAcrossJobs(t *testing.T) {
	capt := &fakeCapturer{hold: 100 * time.Millisecond}
	r := newRig(t, Config{Workers: 3, PodsPerAlert: 3, MaxConcurrentCaptures: 2, CapturesPerMinute: 1000}, capt)
	for g := range 3 {
		var alerts []template.Alert
		for p := range 3 {
			alerts = append(alerts, alert("firing", "127.0.0.1:"+itoa(7000+g*10+p)))
		}
		r.post(t, payload(t, "g"+itoa(g), "firing", alerts...), nil)
	}
	captured := 0
	for captured < 9 {
		if ev := r.notifier.next(t); ev.Kind == report.Captured {
			captured++
		}
	}
	capt.mu.Lock()
	maxSeen := capt.maxInFlight
	capt.mu.Unlock()
	if maxSeen != 2 {
		t.Fatalf("at most %d captures ran at once, want exactly the limit of 2", maxSeen)
	}
	if v := counterValue(r.h.metrics.deferred.WithLabelValues(limitConcurrency)); v < 1 {
		t.Fatal("no deferral counted")
	}
	if !strings.Contains(r.logs.String(), "capture deferred") {
		t.Fatal("no log line for the deferral")
	}
}

func TestCaptureRateLimitDefersThenDrops(t *testing.T) {
	capt := &fakeCapturer{}
	r := newRig(t, Config{CapturesPerMinute: 1, JobTimeout: 500 * time.Millisecond}, capt)
	r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060"), alert("firing", "127.0.0.1:6061")), nil)
	var ok, dropped int
	for range 3 { // opened + two pods
		ev := r.notifier.next(t)
		if ev.Kind != report.Captured {
			continue
		}
		if ev.Pod.Problem == "" {
			ok++
		} else if strings.Contains(ev.Pod.Problem, "1 captures per minute") {
			dropped++
		}
	}
	if ok != 1 || dropped != 1 {
		t.Fatalf("captured %d, dropped %d; want one each", ok, dropped)
	}
	if v := counterValue(r.h.metrics.dropped.WithLabelValues(limitRate)); v != 1 {
		t.Fatalf("dropped{limit=rate} = %v", v)
	}
	if v := counterValue(r.h.metrics.deferred.WithLabelValues(limitRate)); v != 1 {
		t.Fatalf("deferred{limit=rate} = %v, want the second capture deferred once", v)
	}
	for _, want := range []string{"capture deferred: capture rate limit", "capture dropped: rate limit wait outlasted the job's deadline"} {
		if !strings.Contains(r.logs.String(), want) {
			t.Fatalf("no log line %q; logs:\n%s", want, r.logs)
		}
	}
	if capt.total() != 1 {
		t.Fatalf("%d captures ran", capt.total())
	}
}
