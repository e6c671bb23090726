//go:build integration

package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// kubeRecorder is a notifier that hands every event to the test.
type kubeRecorder struct{ events chan report.Event }

func (r *kubeRecorder) Notify(_ context.Context, ev report.Event) (report.Thread, error) {
	r.events <- ev
	return report.Thread{}, nil
}

// next waits for the next event; the bound is a hang guard, not a timing
// assertion.
func (r *kubeRecorder) next(t *testing.T) report.Event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(2 * time.Minute):
		t.Fatal("no event from the handler")
		return report.Event{}
	}
}

// kubePipeline is the real handler wired the way cmd/alertprof wires
// Kubernetes mode: the Kubernetes resolver (with the static resolver as the
// instance fallback), the Capturer and a local store.
type kubePipeline struct {
	h   *handler.Handler
	rec *kubeRecorder
	dir string
}

func (e *kubeEnv) kubePipeline(t *testing.T, allowedCIDRs []string) *kubePipeline {
	t.Helper()
	static, err := capture.NewStatic(allowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := store.NewLocal(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &kubeRecorder{events: make(chan report.Event, 32)}
	h, err := handler.New(handler.Config{Plan: kubePlan, PodsPerAlert: 3}, handler.Deps{
		Resolver: e.resolver(kube.Options{Fallback: static}),
		Capturer: e.capturer(t),
		Store:    store,
		Notifier: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() { h.Shutdown(context.Background()) })
	return &kubePipeline{h: h, rec: rec, dir: dir}
}

// fire posts one firing notification of group with alerts, each given
// by its labels, and waits for the incident to open.
func (p *kubePipeline) fire(t *testing.T, group string, alerts ...map[string]string) {
	t.Helper()
	p.fireNamed(t, "HighMemory", group, alerts...)
}

// fireNamed is fire for alerts named alertname.
func (p *kubePipeline) fireNamed(t *testing.T, alertname, group string, alerts ...map[string]string) {
	t.Helper()
	msg := webhook.Message{Data: &template.Data{Receiver: "alertprof", Status: "firing",
		CommonLabels: template.KV{"alertname": alertname}}, Version: "4", GroupKey: group}
	for i, l := range alerts {
		l["alertname"] = alertname
		msg.Alerts = append(msg.Alerts, template.Alert{Status: "firing", Labels: l, Fingerprint: fmt.Sprintf("%s-%d", group, i),
			StartsAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)})
	}
	body, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/alerts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	p.h.ServeHTTP(w, req)
	if w.Code != http.StatusAccepted {
		t.Fatalf("webhook answered %d: %s", w.Code, w.Body)
	}
	if ev := p.rec.next(t); ev.Kind != report.Opened {
		t.Fatalf("first event %v, want opened", ev.Kind)
	}
}

func (p *kubePipeline) pods(t *testing.T, n int) []report.PodReport {
	t.Helper()
	var out []report.PodReport
	for range n {
		ev := p.rec.next(t)
		if ev.Kind != report.Captured || ev.Pod == nil {
			t.Fatalf("event %v, want a pod report", ev.Kind)
		}
		out = append(out, *ev.Pod)
	}
	return out
}

// testDeploymentPipeline: an alert with only namespace and deployment
// labels captures max_pods_per_alert (3) pods, each in its own report
// section; the OOMKilled pod named by a second alert carries its restart
// context into the report and into incident.json; an opted-out pod named
// by a third alert gets one line saying so.
func (e *kubeEnv) testDeploymentPipeline(t *testing.T) {
	p := e.kubePipeline(t, capture.DefaultAllowedCIDRs)
	p.fire(t, "deploy-group",
		map[string]string{"namespace": "shop", "deployment": "api"},
		map[string]string{"namespace": "shop", "pod": "oom-0"},
		map[string]string{"namespace": "shop", "pod": "opted-out"})
	prs := p.pods(t, 5)
	sections := map[string]string{}
	for _, pr := range prs {
		var buf bytes.Buffer
		if err := report.WritePod(&buf, pr); err != nil {
			t.Fatal(err)
		}
		sections[pr.Target] = buf.String()
		if pr.Target == "shop/opted-out" {
			if !strings.Contains(buf.String(), "no capture: opted out (annotation alertprof.io/enabled=false)") || len(pr.Profiles) != 0 {
				t.Errorf("opted-out pod: %d profiles, section:\n%s", len(pr.Profiles), buf.String())
			}
			continue
		}
		if pr.Problem != "" {
			t.Errorf("%s: problem %q", pr.Target, pr.Problem)
		}
		for _, prof := range pr.Profiles {
			if prof.Error != "" || prof.Key == "" {
				t.Errorf("%s %s: error %q key %q", pr.Target, prof.Name, prof.Error, prof.Key)
			}
		}
	}
	for _, want := range []string{"shop/api-7d9f-aaaaa", "shop/api-7d9f-bbbbb", "shop/api-7d9f-ddddd", "shop/oom-0", "shop/opted-out"} {
		if _, ok := sections[want]; !ok {
			t.Errorf("no report section for %s; sections: %v", want, kubeKeys(sections))
		}
	}
	oom := sections["shop/oom-0"]
	for _, want := range []string{"restarted 3 times", "OOMKilled (exit code 137)", "limit 128Mi", "| previous line 80"} {
		if !strings.Contains(oom, want) {
			t.Errorf("oom-0 section lacks %q:\n%s", want, oom)
		}
	}
	if strings.Contains(sections["shop/api-7d9f-aaaaa"], "restarts") {
		t.Errorf("a pod without restarts shows restart context:\n%s", sections["shop/api-7d9f-aaaaa"])
	}
	// The record is written when the job ends, after the last event.
	var record []byte
	for deadline := time.Now().Add(time.Minute); ; {
		matches, _ := filepath.Glob(filepath.Join(p.dir, "incidents", "*", "*", "*", "*", "incident.json"))
		if len(matches) == 1 {
			if b, err := os.ReadFile(matches[0]); err == nil && bytes.Contains(b, []byte("oom-0")) {
				record = b
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("incident.json never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{`"reason": "OOMKilled"`, `"exit_code": 137`, `"restart_count": 3`, `"memory_limit": "128Mi"`, `"previous line 80"`} {
		if !bytes.Contains(record, []byte(want)) {
			t.Errorf("incident.json lacks %s", want)
		}
	}
}

func kubeKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// testNoRequestToUnresolvedInstance: an alert whose instance is no pod's
// IP and outside the allowed CIDRs makes no request to that address. A
// listener there counts connections; the control case (the address inside
// the allowed CIDRs) shows the listener would see one.
func (e *kubeEnv) testNoRequestToUnresolvedInstance(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	inst := ln.Addr().String()

	p := e.kubePipeline(t, []string{"10.255.0.0/16"})
	for i, labels := range []map[string]string{
		{"namespace": "shop", "instance": inst},
		{"instance": inst, "job": "bait"},
	} {
		p.fire(t, fmt.Sprintf("bait-group-%d", i), labels)
		pr := p.pods(t, 1)[0]
		if !strings.Contains(pr.Problem, "no pod has IP 127.0.0.1") || !strings.Contains(pr.Problem, "outside the allowed CIDRs") {
			t.Errorf("problem %q, want it to say no pod has the IP and it is outside the allowed CIDRs", pr.Problem)
		}
		// The job fetches before it reports, so any request has arrived by now.
		if n := conns.Load(); n != 0 {
			t.Fatalf("%d connections reached %s, want none", n, inst)
		}
	}
	for _, d := range e.cluster.EgressDials() {
		if strings.HasPrefix(d, "127.") {
			t.Errorf("the API server was asked to dial %s", d)
		}
	}

	// Control: the same alert with the address inside the allowed CIDRs
	// reaches the listener, so the zero above is not an accident.
	p = e.kubePipeline(t, []string{"127.0.0.0/8"})
	p.fire(t, "control-group", map[string]string{"instance": inst})
	p.pods(t, 1)
	if conns.Load() == 0 {
		t.Fatal("the control alert never reached the listener: the test cannot see requests")
	}
}
