package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture"
)

// fakePod is a Running pod; opts edit it.
func fakePod(ns, name, ip string, ready bool, opts ...func(*corev1.Pod)) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}, Labels: map[string]string{}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func annotate(k, v string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Annotations[k] = v }
}

func ownedByRS(rs, hash string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Labels["pod-template-hash"] = hash
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs}}
	}
}

func newFakeKube(opts Options, pods ...*corev1.Pod) *Resolver {
	objs := make([]runtime.Object, len(pods))
	for i, p := range pods {
		objs[i] = p
	}
	return NewResolver(fake.NewClientset(objs...), opts)
}

func describe(ts []capture.Target) []string {
	var out []string
	for _, tg := range ts {
		s := tg.Key() + " " + tg.Scheme + "://" + tg.Address + tg.Path
		if tg.Skip != "" {
			s = tg.Key() + " skip: " + tg.Skip
		}
		out = append(out, s)
	}
	return out
}

func TestKubeResolve(t *testing.T) {
	pods := []*corev1.Pod{
		fakePod("web", "api-abc-1", "10.0.0.1", false, ownedByRS("api-abc", "abc")),
		fakePod("web", "api-abc-2", "10.0.0.2", true, ownedByRS("api-abc", "abc")),
		fakePod("web", "api-abc-3", "10.0.0.3", true, ownedByRS("api-abc", "abc")),
		fakePod("web", "api-abc-4", "10.0.0.4", true, ownedByRS("api-abc", "abc"), func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
		fakePod("web", "api-x-abc-1", "10.0.0.5", true, ownedByRS("api-x-abc", "abc")),
		fakePod("web", "tuned", "10.0.0.6", true,
			annotate(AnnotationPort, "debug"), annotate(AnnotationPath, "/pp"), annotate(AnnotationScheme, "https"),
			annotate(AnnotationOwner, "S123"), annotate(AnnotationSlackChannel, "#team"),
			func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "debug", ContainerPort: 7777}, {Name: "pprof", ContainerPort: 1}}
			}),
		fakePod("web", "sidecar", "10.0.0.7", true, annotate(AnnotationContainer, "main"), func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "main", Ports: []corev1.ContainerPort{{Name: "pprof", ContainerPort: 8081}}})
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "pprof", ContainerPort: 9999}}
		}),
		fakePod("web", "bad-container", "10.0.0.8", true, annotate(AnnotationContainer, "nope")),
		fakePod("web", "bad-port", "10.0.0.9", true, annotate(AnnotationPort, "70000")),
		fakePod("web", "v6", "fd00::1", true),
		fakePod("web", "hn-a", "10.0.0.50", true),
		fakePod("web", "hn-b", "10.0.0.50", false),
		fakePod("kube-system", "dns", "10.0.9.1", true),
	}
	k := newFakeKube(Options{FetchMode: FetchDirect, DenyNamespaces: []string{"kube-*"}, LogLines: -1}, pods...)
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
		err    string
	}{
		{"deployment: ready first, pending last, capped", map[string]string{"namespace": "web", "deployment": "api"},
			[]string{"web/api-abc-2 http://10.0.0.2:6060/debug/pprof", "web/api-abc-3 http://10.0.0.3:6060/debug/pprof", "web/api-abc-1 http://10.0.0.1:6060/debug/pprof"}, ""},
		{"gone pod falls back to its deployment", map[string]string{"namespace": "web", "pod": "api-gone", "deployment": "api"},
			[]string{"web/api-abc-2 http://10.0.0.2:6060/debug/pprof", "web/api-abc-3 http://10.0.0.3:6060/debug/pprof", "web/api-abc-1 http://10.0.0.1:6060/debug/pprof"}, ""},
		{"annotations", map[string]string{"namespace": "web", "pod": "tuned"},
			[]string{"web/tuned https://10.0.0.6:7777/pp"}, ""},
		{"container annotation picks the container's pprof port", map[string]string{"namespace": "web", "pod": "sidecar"},
			[]string{"web/sidecar http://10.0.0.7:8081/debug/pprof"}, ""},
		{"unknown container", map[string]string{"namespace": "web", "pod": "bad-container"},
			[]string{`web/bad-container skip: annotation alertprof.io/container names container "nope", which the pod does not have`}, ""},
		{"invalid port", map[string]string{"namespace": "web", "pod": "bad-port"},
			[]string{`web/bad-port skip: annotation alertprof.io/port="70000" is not a valid port`}, ""},
		{"pod named in the alert first, even when not ready", map[string]string{"instance": "10.0.0.50:9100", "pod": "hn-b"},
			[]string{"web/hn-b http://10.0.0.50:6060/debug/pprof", "web/hn-a http://10.0.0.50:6060/debug/pprof"}, ""},
		{"ipv6 instance", map[string]string{"instance": "[fd00::1]:9100"},
			[]string{"web/v6 http://[fd00::1]:6060/debug/pprof"}, ""},
		{"pending pod", map[string]string{"namespace": "web", "pod": "api-abc-4"},
			[]string{"web/api-abc-4 skip: pod is Pending, not Running"}, ""},
		{"denied namespace", map[string]string{"namespace": "kube-system", "pod": "dns"}, nil, "namespace kube-system is denied"},
		{"denied namespace by IP", map[string]string{"instance": "10.0.9.1:53"},
			[]string{"kube-system/dns skip: namespace kube-system is denied (kubernetes.namespaces.deny)"}, ""},
		{"hostname instance", map[string]string{"instance": "evil.example.com:80"}, nil, "not a pod IP"},
		{"unknown IP", map[string]string{"instance": "10.9.9.9:80"}, nil, "no pod has IP 10.9.9.9"},
		{"nothing", map[string]string{"job": "x"}, nil, "names no pod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := k.Resolve(context.Background(), tc.labels)
			if tc.err != "" {
				if !errors.Is(err, capture.ErrNoTarget) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want capture.ErrNoTarget with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(ts); !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	ts, _ := k.Resolve(context.Background(), map[string]string{"namespace": "web", "pod": "tuned"})
	if ts[0].Owner != "S123" || ts[0].SlackChannel != "#team" {
		t.Errorf("owner %q channel %q", ts[0].Owner, ts[0].SlackChannel)
	}
}

func TestKubeNamespaceAllowList(t *testing.T) {
	k := newFakeKube(Options{AllowNamespaces: []string{"team-*"}}, fakePod("team-a", "p", "10.1.0.1", true), fakePod("other", "q", "10.1.0.2", true))
	if _, err := k.Resolve(context.Background(), map[string]string{"namespace": "other", "pod": "q"}); err == nil || !strings.Contains(err.Error(), "not in kubernetes.namespaces.allow") {
		t.Errorf("other: err = %v", err)
	}
	if ts, err := k.Resolve(context.Background(), map[string]string{"namespace": "team-a", "pod": "p"}); err != nil || ts[0].Skip != "" {
		t.Errorf("team-a: %v %v", ts, err)
	}
}

func TestKubeInstanceFallback(t *testing.T) {
	static, err := capture.NewStatic([]string{"127.0.0.0/8"}, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	k := newFakeKube(Options{Fallback: static})
	ts, err := k.Resolve(context.Background(), map[string]string{"instance": "127.0.0.1:6060"})
	if err != nil || len(ts) != 1 || ts[0].Address != "127.0.0.1:6060" {
		t.Errorf("inside the allowed CIDRs: %v %v", ts, err)
	}
	_, err = k.Resolve(context.Background(), map[string]string{"instance": "10.0.0.1:6060"})
	if !errors.Is(err, capture.ErrNoTarget) || !strings.Contains(err.Error(), "no pod has IP 10.0.0.1") || !strings.Contains(err.Error(), "outside the allowed CIDRs") {
		t.Errorf("outside: err = %v", err)
	}
}

func TestKubeRestartContextWithoutLogs(t *testing.T) {
	p := fakePod("web", "oom", "10.0.0.1", true, func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", RestartCount: 2,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}
	})
	ts, err := newFakeKube(Options{LogLines: -1}, p).Resolve(context.Background(), map[string]string{"namespace": "web", "pod": "oom"})
	if err != nil || ts[0].Restart == nil {
		t.Fatalf("%v %v", ts, err)
	}
	c := ts[0].Restart.Containers[0]
	if c.RestartCount != 2 || c.Reason != "OOMKilled" || c.ExitCode != 137 || c.PreviousLog != nil || c.LogError != "" {
		t.Errorf("%+v", c)
	}
}

func TestProxyTargetURL(t *testing.T) {
	api, err := rest.RESTClientFor(&rest.Config{Host: "https://api.example:6443/prefix", ContentConfig: rest.ContentConfig{
		GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: scheme.Codecs.WithoutConversion()}, APIPath: "/api"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCapturer(nil, capture.NewFetcher(nil, 0, 0), api)
	for _, tc := range []struct{ scheme, want string }{
		{"http", "https://api.example:6443/prefix/api/v1/namespaces/web/pods/api-1:6060/proxy/debug/pprof/heap"},
		{"https", "https://api.example:6443/prefix/api/v1/namespaces/web/pods/https:api-1:6060/proxy/debug/pprof/heap"},
	} {
		pt, err := c.proxyTarget(capture.Target{Namespace: "web", Pod: "api-1", Address: "10.0.0.1:6060", Scheme: tc.scheme, Path: "/debug/pprof", Proxy: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := pt.URL("heap", ""); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestResolveFetchMode(t *testing.T) {
	for _, tc := range []struct {
		mode      string
		inCluster bool
		want      string
	}{{FetchAuto, true, FetchDirect}, {FetchAuto, false, FetchProxy}, {FetchDirect, false, FetchDirect}, {FetchProxy, true, FetchProxy}} {
		if got := ResolveFetchMode(tc.mode, tc.inCluster); got != tc.want {
			t.Errorf("%s in-cluster=%v: %s, want %s", tc.mode, tc.inCluster, got, tc.want)
		}
	}
}

func TestKubeRESTConfig(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, _, err := RESTConfig(ClientOptions{Getenv: func(string) string { return "" }}); !errors.Is(err, ErrNoConfig) {
		t.Errorf("no kubeconfig: err = %v, want ErrNoConfig", err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, inCluster, err := RESTConfig(ClientOptions{Getenv: func(k string) string {
		if k == "KUBECONFIG" {
			return kc
		}
		return ""
	}, UserAgent: "alertprof/test"})
	if err != nil || inCluster {
		t.Fatalf("inCluster %v, err %v", inCluster, err)
	}
	if cfg.Host != "https://127.0.0.1:1" || cfg.UserAgent != "alertprof/test" || cfg.QPS != 20 || cfg.Burst != 40 || cfg.Timeout != 10*time.Second {
		t.Errorf("host %s agent %q qps %v burst %d timeout %s", cfg.Host, cfg.UserAgent, cfg.QPS, cfg.Burst, cfg.Timeout)
	}
}

// TestKubeTargetKey: an alert naming its pod is named without the API
// server, by the key Resolve gives; any other alert, or a denied
// namespace, only by resolving it.
func TestKubeTargetKey(t *testing.T) {
	k := newFakeKube(Options{DenyNamespaces: []string{"kube-system"}}, fakePod("shop", "api-1", "10.1.0.1", true))
	labels := map[string]string{"namespace": "shop", "pod": "api-1"}
	ts, err := k.Resolve(context.Background(), labels)
	if err != nil || len(ts) != 1 {
		t.Fatalf("resolve: %v %v", ts, err)
	}
	if key, ok := k.TargetKey(labels); !ok || key != ts[0].Key() {
		t.Fatalf("TargetKey = %q, %v; want %q as Resolve gives", key, ok, ts[0].Key())
	}
	for _, l := range []map[string]string{
		{"namespace": "shop", "deployment": "api"},
		{"pod": "api-1"},
		{"instance": "10.1.0.1:6060"},
		{"namespace": "kube-system", "pod": "coredns-1"},
	} {
		if key, ok := k.TargetKey(l); ok {
			t.Errorf("TargetKey(%v) = %q; want it left to resolution", l, key)
		}
	}
}
