//go:build integration

package kube_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

func memLimitRef(divisor string) corev1.EnvVar {
	ref := &corev1.ResourceFieldSelector{Resource: "limits.memory"}
	if divisor != "" {
		ref.Divisor = resource.MustParse(divisor)
	}
	return corev1.EnvVar{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: ref}}
}

// testMemoryBounds: every resolved target carries its container's memory
// request, limit and GOMEMLIMIT, restarted or not, read from pods the API
// server stored; and an OOMKilled pod's report, captured end to end with
// the restart plan, reconciles the runtime's memstats with them.
func (e *kubeEnv) testMemoryBounds(t *testing.T) {
	port := e.pprof.port()
	// mem-a: a sidecar first, then the app serving pprof on a named port,
	// with a GOMEMLIMIT above its limit; OOMKilled.
	a := kubePod("shop", "mem-a", nil, nil, nil)
	a.Spec.Containers = []corev1.Container{
		{Name: "proxy", Image: "example.invalid/proxy:1", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 15000}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}},
		{Name: "app", Image: "example.invalid/app:1", Ports: []corev1.ContainerPort{{Name: kube.PprofPortName, ContainerPort: int32(port)}},
			Env: []corev1.EnvVar{{Name: "GOGC", Value: "150"}, {Name: "GOMEMLIMIT", Value: "1GiB"}}},
	}
	a.Spec.Containers[1].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
	}
	e.runPod(t, a, kubetest.FakeIP(71), func(s *corev1.PodStatus) {
		s.ContainerStatuses[1].RestartCount = 2
		s.ContainerStatuses[1].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "OOMKilled", ExitCode: 137, FinishedAt: metav1.NewTime(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC))}}
	})
	// mem-b: a literal GOMEMLIMIT; never restarted.
	b := kubePod("shop", "mem-b", kubePortAnnotation(port), nil, nil)
	b.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MiB"}}
	kubeMemory("512Mi", "1Gi")(b)
	e.runPod(t, b, kubetest.FakeIP(72), nil)
	// mem-c: GOMEMLIMIT from the limit without a divisor; mem-d with a
	// 1Mi divisor, which makes it a count of bytes.
	c := kubePod("shop", "mem-c", kubePortAnnotation(port), nil, nil)
	c.Spec.Containers[0].Env = []corev1.EnvVar{memLimitRef("")}
	kubeMemory("768Mi", "768Mi")(c)
	e.runPod(t, c, kubetest.FakeIP(73), nil)
	d := kubePod("shop", "mem-d", kubePortAnnotation(port), nil, nil)
	d.Spec.Containers[0].Env = []corev1.EnvVar{memLimitRef("1Mi")}
	kubeMemory("768Mi", "768Mi")(d)
	e.runPod(t, d, kubetest.FakeIP(74), nil)

	want := map[string]capture.MemoryBounds{
		"mem-a": {Container: "app", Request: 256 << 20, RequestText: "256Mi", Limit: 512 << 20, LimitText: "512Mi", GOGC: "150",
			GoMemLimit: 1 << 30, GoMemLimitSource: "env"},
		"mem-b": {Container: "app", Request: 512 << 20, RequestText: "512Mi", Limit: 1 << 30, LimitText: "1Gi",
			GoMemLimit: 400 << 20, GoMemLimitSource: "env"},
		"mem-c": {Container: "app", Request: 768 << 20, RequestText: "768Mi", Limit: 768 << 20, LimitText: "768Mi",
			GoMemLimit: 768 << 20, GoMemLimitSource: "resourceFieldRef limits.memory (divisor 1)"},
		"mem-d": {Container: "app", Request: 768 << 20, RequestText: "768Mi", Limit: 768 << 20, LimitText: "768Mi",
			GoMemLimit: 768, GoMemLimitSource: "resourceFieldRef limits.memory (divisor 1Mi)",
			GoMemLimitNote: "divisor 1Mi makes the kubelet write the bare number 768, which Go reads as 768 bytes, not 768Mi"},
	}
	for pod, w := range want {
		ts, err := e.resolver(kube.Options{}).Resolve(t.Context(), map[string]string{"namespace": "shop", "pod": pod})
		if err != nil || len(ts) != 1 || ts[0].Skip != "" {
			t.Fatalf("resolve %s: %+v %v", pod, ts, err)
		}
		if ts[0].Memory == nil || *ts[0].Memory != w {
			t.Errorf("%s: memory bounds %+v, want %+v", pod, ts[0].Memory, w)
		}
	}

	// The whole pipeline for an OOM-kill alert on mem-a, with the restart
	// plan that captures memstats.
	plan, err := capture.Plan(capture.DefaultPlans[capture.KindRestart], 1)
	if err != nil {
		t.Fatal(err)
	}
	store, err := store.NewLocal(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	rec := &kubeRecorder{events: make(chan report.Event, 8)}
	h, err := handler.New(handler.Config{Plan: kubePlan, Plans: map[string][]capture.Profile{capture.KindRestart: plan}, PodsPerAlert: 1},
		handler.Deps{Resolver: e.resolver(kube.Options{}), Capturer: e.capturer(t), Store: store, Notifier: rec})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	defer h.Shutdown(t.Context())
	p := &kubePipeline{h: h, rec: rec}
	p.fireNamed(t, "KubePodOOMKilled", "oom-group", map[string]string{"namespace": "shop", "pod": "mem-a"})
	pr := p.pods(t, 1)[0]
	if pr.MemoryBounds == nil || *pr.MemoryBounds != want["mem-a"] {
		t.Errorf("pod report memory bounds %+v, want %+v", pr.MemoryBounds, want["mem-a"])
	}
	m := pr.Memory
	if m == nil {
		t.Fatalf("no memory reconciliation; profiles %+v", pr.Profiles)
	}
	// What explains the kill depends on this test process's memory (the
	// pprof server); a GOMEMLIMIT above the limit is the fallback.
	if pr.Kind != capture.KindRestart || !m.Explains() || pr.Headline != m.Verdict ||
		!strings.HasPrefix(m.Verdict, "OOMKilled at limit 512Mi (previous instance); ") {
		t.Errorf("kind %q cause %q explains %v; headline %q; verdict %q", pr.Kind, m.Cause, m.Explains(), pr.Headline, m.Verdict)
	}
	var buf bytes.Buffer
	if err := report.WritePod(&buf, pr); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{
		"=> " + m.Verdict + "\n",
		"[memory] " + m.Verdict + "\n",
		"container app last terminated OOMKilled (exit code 137) at 2026-03-01 11:00:00Z; that was the previous instance",
		"GOMEMLIMIT             1GiB  200%  GOMEMLIMIT from env\n",
		"container limit       512Mi  100%  container app, request 256Mi\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	for _, prof := range pr.Profiles {
		if prof.Name != "memstats" {
			continue
		}
		if prof.Error != "" || prof.MemStats == nil || !strings.HasSuffix(prof.Key, "/memstats.txt") {
			t.Fatalf("memstats profile %+v", prof)
		}
		raw, err := os.ReadFile(filepath.Join(store.Dir(), filepath.FromSlash(prof.Key)))
		if err != nil || !bytes.HasPrefix(raw, []byte("heap profile: ")) || !bytes.Contains(raw, []byte("# runtime.MemStats")) {
			t.Errorf("stored memstats.txt: %v\n%.200s", err, raw)
		}
		return
	}
	t.Errorf("no memstats profile in %+v", pr.Profiles)
}
