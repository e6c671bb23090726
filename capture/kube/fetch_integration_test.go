//go:build integration

package kube_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

var kubePlan = []capture.Profile{
	{Name: "heap", Endpoint: "heap"},
	{Name: "goroutine", Endpoint: "goroutine"},
}

func (e *kubeEnv) capturer(t *testing.T) *kube.Capturer {
	t.Helper()
	proxy, err := kube.NewProxyFetcher(e.saConfig, 0, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return kube.NewCapturer(capture.NewFetcher(nil, 0, 30*time.Second), proxy, e.sa.CoreV1().RESTClient())
}

func requireKubeProfiles(t *testing.T, res []capture.Result) {
	t.Helper()
	if len(res) != len(kubePlan) {
		t.Fatalf("%d results, want %d", len(res), len(kubePlan))
	}
	for _, r := range res {
		if r.Err != nil || r.Parsed == nil || len(r.Data) == 0 {
			t.Errorf("%s: err %v, %d bytes", r.Profile.Name, r.Err, len(r.Data))
		}
	}
}

// testDirectFetch: in direct mode the fetch dials the pod IP itself. The
// pod's IP is 127.0.0.1, where the real pprof server listens.
func (e *kubeEnv) testDirectFetch(t *testing.T) {
	e.runPod(t, kubePod("shop", "direct-0", kubePortAnnotation(e.pprof.port()), nil, nil), "127.0.0.1", nil)
	// Later subtests use 127.0.0.1 as an address no pod has.
	defer e.admin.CoreV1().Pods("shop").Delete(context.Background(), "direct-0", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	ts, err := e.resolver(kube.Options{FetchMode: kube.FetchDirect}).Resolve(t.Context(), map[string]string{"namespace": "shop", "pod": "direct-0"})
	if err != nil || len(ts) != 1 {
		t.Fatalf("resolve: %v %v", ts, err)
	}
	if ts[0].Proxy || ts[0].Address != fmt.Sprintf("127.0.0.1:%d", e.pprof.port()) {
		t.Fatalf("target %+v, want a direct fetch of 127.0.0.1:%d", ts[0], e.pprof.port())
	}
	before, dials := e.pprof.count(), len(e.cluster.EgressDials())
	requireKubeProfiles(t, e.capturer(t).Capture(t.Context(), ts[0], kubePlan))
	if got := e.pprof.count() - before; got != len(kubePlan) {
		t.Errorf("the pprof server saw %d requests, want %d", got, len(kubePlan))
	}
	if d := e.cluster.EgressDials(); len(d) != dials {
		t.Errorf("a direct fetch went through the API server: %v", d[dials:])
	}
}

// testProxyFetch: in proxy mode the fetch goes to the API server's
// pods/proxy, which dials the pod IP (198.51.100.10) through the egress
// helper to the real pprof server.
func (e *kubeEnv) testProxyFetch(t *testing.T) {
	ts, err := e.resolver(kube.Options{}).Resolve(t.Context(), map[string]string{"namespace": "shop", "pod": "api-7d9f-aaaaa"})
	if err != nil || len(ts) != 1 || !ts[0].Proxy {
		t.Fatalf("resolve: %+v %v", ts, err)
	}
	before := e.pprof.count()
	requireKubeProfiles(t, e.capturer(t).Capture(t.Context(), ts[0], kubePlan))
	if got := e.pprof.count() - before; got != len(kubePlan) {
		t.Errorf("the pprof server saw %d requests, want %d", got, len(kubePlan))
	}
	want := fmt.Sprintf("%s:%d", kubetest.FakeIP(10), e.pprof.port())
	if !slices.Contains(e.cluster.EgressDials(), want) {
		t.Errorf("the API server never dialed %s; dials: %v", want, e.cluster.EgressDials())
	}
	// A missing endpoint is a clear per-profile error, not a crash.
	res := e.capturer(t).Capture(t.Context(), ts[0], []capture.Profile{{Name: "nope", Endpoint: "nope"}})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "pods/proxy") || !strings.Contains(res[0].Err.Error(), "404") {
		t.Errorf("missing profile: err = %v, want a 404 through pods/proxy", res[0].Err)
	}
}

// testRestartContext: a pod whose container was OOMKilled carries the
// restart count, the termination, memory bounds and the previous log.
func (e *kubeEnv) testRestartContext(t *testing.T) {
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	finished := started.Add(42 * time.Minute)
	p := kubePod("shop", "oom-0", kubePortAnnotation(e.pprof.port()), nil, nil)
	kubeMemory("64Mi", "128Mi")(p)
	e.runPod(t, p, kubetest.FakeIP(60), func(s *corev1.PodStatus) {
		s.ContainerStatuses[0].RestartCount = 3
		s.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "OOMKilled", ExitCode: 137,
			StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(finished),
		}}
	})
	var log strings.Builder
	for i := 1; i <= 80; i++ {
		fmt.Fprintf(&log, "previous line %d\n", i)
	}
	e.kubelet.SetLog("shop", "oom-0", "app", true, log.String())
	e.kubelet.SetLog("shop", "oom-0", "app", false, "current container line\n")

	ts, err := e.resolver(kube.Options{}).Resolve(t.Context(), map[string]string{"namespace": "shop", "pod": "oom-0"})
	if err != nil || len(ts) != 1 || ts[0].Restart == nil || len(ts[0].Restart.Containers) != 1 {
		t.Fatalf("resolve: %+v %v", ts, err)
	}
	c := ts[0].Restart.Containers[0]
	if c.Container != "app" || c.RestartCount != 3 || c.Reason != "OOMKilled" || c.ExitCode != 137 ||
		!c.StartedAt.Equal(started) || !c.FinishedAt.Equal(finished) || c.MemoryRequest != "64Mi" || c.MemoryLimit != "128Mi" {
		t.Errorf("restart context %+v", c)
	}
	if c.LogError != "" || len(c.PreviousLog) != kube.DefaultLogLines ||
		c.PreviousLog[0] != "previous line 31" || c.PreviousLog[49] != "previous line 80" {
		t.Errorf("previous log: error %q, %d lines: %q", c.LogError, len(c.PreviousLog), c.PreviousLog)
	}
	// A pod without restarts has no restart context and costs no log read.
	ts, err = e.resolver(kube.Options{}).Resolve(t.Context(), map[string]string{"namespace": "shop", "pod": "db-0"})
	if err != nil || ts[0].Restart != nil {
		t.Errorf("db-0: restart %+v, err %v; want none", ts[0].Restart, err)
	}
	var logReqs []string
	for _, r := range e.kubelet.Requests() {
		logReqs = append(logReqs, r)
	}
	if len(logReqs) != 1 || !strings.Contains(logReqs[0], "/containerLogs/shop/oom-0/app") || !strings.Contains(logReqs[0], "previous=true") {
		t.Errorf("kubelet requests %q, want one previous-log read of shop/oom-0/app", logReqs)
	}
}
