//go:build integration

package kube_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// request posts one capture request to the pipeline and answers the
// status code and the decoded body.
func (p *kubePipeline) request(t *testing.T, body string) (int, handler.CaptureStatus, string) {
	t.Helper()
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	p.h.ServeHTTP(w, req)
	var st handler.CaptureStatus
	_ = json.Unmarshal(w.Body.Bytes(), &st)
	return w.Code, st, w.Body.String()
}

// finished polls the capture until it is done; the bound is a hang guard.
func (p *kubePipeline) finished(t *testing.T, id string) handler.CaptureStatus {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		w := httptest.NewRecorder()
		p.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/captures/"+id, nil))
		var st handler.CaptureStatus
		if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != http.StatusOK {
			t.Fatalf("GET capture %s: %d %s", id, w.Code, w.Body)
		}
		if st.State == handler.StateDone {
			return st
		}
	}
	t.Fatal("the capture never finished")
	return handler.CaptureStatus{}
}

// testOnDemand: POST /api/v1/captures resolves a pod, or the pods of a
// label selector, through the API server, captures them through
// pods/proxy, and reports each like an alert for the same pod; denied
// namespaces are refused with 403 and missing pods with 404.
func (e *kubeEnv) testOnDemand(t *testing.T) {
	p := e.kubePipeline(t, nil)
	p.fire(t, "db-alert", map[string]string{"namespace": "shop", "pod": "db-0"})
	fromAlert := p.pods(t, 1)[0]

	code, st, body := p.request(t, `{"namespace":"shop","pod":"db-0"}`)
	if code != http.StatusAccepted {
		t.Fatalf("pod request: %d %s", code, body)
	}
	done := p.finished(t, st.ID)
	if len(done.Pods) != 1 {
		t.Fatalf("pod request: %d reports", len(done.Pods))
	}
	if got, want := kubeShape(t, done.Pods[0]), kubeShape(t, fromAlert); got != want {
		t.Errorf("on-demand report %q, the alert's %q", got, want)
	}

	code, st, body = p.request(t, `{"namespace":"shop","selector":"app=api,pod-template-hash=7d9f","profiles":["goroutine"]}`)
	if code != http.StatusAccepted {
		t.Fatalf("selector request: %d %s", code, body)
	}
	done = p.finished(t, st.ID)
	var targets []string
	for _, pr := range done.Pods {
		targets = append(targets, pr.Target)
		if len(pr.Profiles) != 1 || pr.Profiles[0].Name != "goroutine" || pr.Profiles[0].Error != "" || pr.Profiles[0].Key == "" {
			t.Errorf("%s: profiles %+v", pr.Target, pr.Profiles)
		}
	}
	slices.Sort(targets)
	if want := []string{"shop/api-7d9f-aaaaa", "shop/api-7d9f-bbbbb", "shop/api-7d9f-ddddd"}; !slices.Equal(targets, want) {
		t.Errorf("selector captured %v, want the Ready pods %v (max_pods_per_alert 3)", targets, want)
	}

	for _, tc := range []struct {
		body, want string
		code       int
	}{
		{`{"namespace":"denied","pod":"secret-sauce"}`, "namespace denied is denied", http.StatusForbidden},
		{`{"namespace":"kube-system","selector":"app=x"}`, "is denied", http.StatusForbidden},
		{`{"namespace":"shop","pod":"nobody"}`, "pod shop/nobody does not exist", http.StatusNotFound},
		{`{"namespace":"shop","selector":"app=nobody"}`, `no pod in namespace shop matches the selector "app=nobody"`, http.StatusNotFound},
		{`{"address":"198.51.100.99:6060"}`, "outside the allowed CIDRs", http.StatusForbidden},
	} {
		code, _, body := p.request(t, tc.body)
		var answer struct{ Error string }
		_ = json.Unmarshal([]byte(body), &answer)
		if code != tc.code || !strings.Contains(answer.Error, tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.body, code, body, tc.code, tc.want)
		}
	}
}

// kubeShape is a report without what changes between two captures.
func kubeShape(t *testing.T, pr report.PodReport) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(pr.Target + " " + pr.Address + " " + path.Base(pr.SummaryKey))
	for _, p := range pr.Profiles {
		if p.Error != "" || p.Key == "" || p.Summary == nil {
			t.Fatalf("%s %s: error %q key %q", pr.Target, p.Name, p.Error, p.Key)
		}
		b.WriteString(" " + p.Name + "=" + path.Base(p.Key) + "/" + p.Summary.SampleType)
	}
	return b.String()
}
