//go:build integration

package kube_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

// TestKubernetes runs alertprof's Kubernetes mode against a real etcd and
// kube-apiserver (built by .ci/tools.d/kube.sh), always acting as
// alertprof's service account bound to exactly kube.RBACRules.
func TestKubernetes(t *testing.T) {
	e := newKubeEnv(t)
	e.seedPods(t)
	t.Run("every label form resolves", e.testResolve)
	t.Run("skipped pods say why", e.testSkips)
	t.Run("direct fetch from the pod IP", e.testDirectFetch)
	t.Run("proxy fetch through pods/proxy", e.testProxyFetch)
	t.Run("OOMKilled restart context", e.testRestartContext)
	t.Run("deployment alert captures each pod in its own section", e.testDeploymentPipeline)
	t.Run("unresolved instance gets no request", e.testNoRequestToUnresolvedInstance)
	t.Run("capture on demand by pod and by selector", e.testOnDemand)
	t.Run("RBAC is exactly what the job uses", e.testRBAC)
	t.Run("client from a kubeconfig file", e.testKubeconfig)
	t.Run("memory bounds and the OOM reconciliation", e.testMemoryBounds)
}

// testKubeconfig: the client set-up alertprof uses from a laptop — a
// kubeconfig file, auto fetch mode resolving to proxy — works end to end.
func (e *kubeEnv) testKubeconfig(t *testing.T) {
	path, err := e.cluster.WriteKubeconfig(kubeSAToken)
	if err != nil {
		t.Fatal(err)
	}
	cfg, inCluster, err := kube.RESTConfig(kube.ClientOptions{Kubeconfig: path, UserAgent: "alertprof/test"})
	if err != nil || inCluster {
		t.Fatalf("inCluster %v, err %v", inCluster, err)
	}
	client, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mode := kube.ResolveFetchMode(kube.FetchAuto, inCluster)
	ts, err := kube.NewResolver(client, kube.Options{FetchMode: mode}).Resolve(t.Context(), map[string]string{"namespace": "shop", "statefulset": "db"})
	if err != nil || len(ts) != 1 || !ts[0].Proxy {
		t.Fatalf("resolve: %+v %v", ts, err)
	}
	proxy, err := kube.NewProxyFetcher(cfg, 0, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	requireKubeProfiles(t, kube.NewCapturer(nil, proxy, client.CoreV1().RESTClient()).Capture(t.Context(), ts[0], kubePlan))
}

// seedPods creates the workloads the subtests resolve. Pods of
// deployment api (ReplicaSet api-7d9f) get FakeNet IPs; the egress helper
// carries the API server's connections to them to the local pprof server.
func (e *kubeEnv) seedPods(t *testing.T) {
	port := kubePortAnnotation(e.pprof.port())
	hash := map[string]string{"pod-template-hash": "7d9f", "app": "api"}
	rs := kubeOwner("ReplicaSet", "api-7d9f")
	e.runPod(t, kubePod("shop", "api-7d9f-aaaaa", port, rs, hash), kubetest.FakeIP(10), nil)
	e.runPod(t, kubePod("shop", "api-7d9f-bbbbb", port, rs, hash), kubetest.FakeIP(11), nil)
	e.runPod(t, kubePod("shop", "api-7d9f-ccccc", port, rs, hash), kubetest.FakeIP(12), kubeNotReady)
	e.runPod(t, kubePod("shop", "api-7d9f-ddddd", port, rs, hash), kubetest.FakeIP(13), nil)
	// Pending: created, never given a status.
	if _, err := e.admin.CoreV1().Pods("shop").Create(t.Context(), kubePod("shop", "api-7d9f-eeeee", port, rs, hash), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A deployment whose name is a prefix of another's must not match it.
	e.runPod(t, kubePod("shop", "api-v2-5b6c-zzzzz", port, kubeOwner("ReplicaSet", "api-v2-5b6c"), map[string]string{"pod-template-hash": "5b6c"}), kubetest.FakeIP(19), nil)
	e.runPod(t, kubePod("shop", "db-0", port, kubeOwner("StatefulSet", "db"), nil), kubetest.FakeIP(20), nil)
	e.runPod(t, kubePod("shop", "agent-x1y2z", port, kubeOwner("DaemonSet", "agent"), nil), kubetest.FakeIP(21), nil)
	e.runPod(t, kubePod("shop", "worker-5c-abcde", port, kubeOwner("ReplicaSet", "worker-5c"), nil), kubetest.FakeIP(22), nil)
	e.runPod(t, kubePod("shop", "migrate-qwert", port, kubeOwner("Job", "migrate"), nil), kubetest.FakeIP(23), nil)
	// A pod in another namespace, found by IP across namespaces.
	e.runPod(t, kubePod("other", "lonely", port, nil, nil), kubetest.FakeIP(30), nil)
	// Endpoint discovery: a container port named pprof, and no hint at all.
	named := kubePod("shop", "named-port", nil, nil, nil)
	named.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9100}, {Name: "pprof", ContainerPort: 7070}}
	e.runPod(t, named, kubetest.FakeIP(40), nil)
	e.runPod(t, kubePod("shop", "no-hint", nil, nil, nil), kubetest.FakeIP(41), nil)
	e.runPod(t, kubePod("shop", "opted-out", map[string]string{kube.AnnotationEnabled: "false"}, nil, nil), kubetest.FakeIP(42), nil)
	e.runPod(t, kubePod("denied", "secret-sauce", port, nil, nil), kubetest.FakeIP(50), nil)
}

func kubeNotReady(s *corev1.PodStatus) {
	for i := range s.Conditions {
		s.Conditions[i].Status = corev1.ConditionFalse
	}
}

func (e *kubeEnv) resolver(opts kube.Options) *kube.Resolver {
	if opts.FetchMode == "" {
		opts.FetchMode = kube.FetchProxy
	}
	if opts.DenyNamespaces == nil {
		opts.DenyNamespaces = []string{"denied", "kube-*"}
	}
	return kube.NewResolver(e.sa, opts)
}

func (e *kubeEnv) testResolve(t *testing.T) {
	pp := fmt.Sprint(e.pprof.port())
	tests := []struct {
		name   string
		labels map[string]string
		want   []string // "ns/pod address"
	}{
		{"namespace and pod", map[string]string{"namespace": "shop", "pod": "db-0"},
			[]string{"shop/db-0 198.51.100.20:" + pp}},
		{"deployment: Ready pods first, at most 3", map[string]string{"namespace": "shop", "deployment": "api"},
			[]string{"shop/api-7d9f-aaaaa 198.51.100.10:" + pp, "shop/api-7d9f-bbbbb 198.51.100.11:" + pp, "shop/api-7d9f-ddddd 198.51.100.13:" + pp}},
		{"statefulset", map[string]string{"namespace": "shop", "statefulset": "db"},
			[]string{"shop/db-0 198.51.100.20:" + pp}},
		{"daemonset", map[string]string{"namespace": "shop", "daemonset": "agent"},
			[]string{"shop/agent-x1y2z 198.51.100.21:" + pp}},
		{"replicaset", map[string]string{"namespace": "shop", "replicaset": "worker-5c"},
			[]string{"shop/worker-5c-abcde 198.51.100.22:" + pp}},
		{"job_name", map[string]string{"namespace": "shop", "job_name": "migrate"},
			[]string{"shop/migrate-qwert 198.51.100.23:" + pp}},
		{"instance with port", map[string]string{"namespace": "shop", "instance": "198.51.100.11:9100"},
			[]string{"shop/api-7d9f-bbbbb 198.51.100.11:" + pp}},
		{"instance without port, no namespace", map[string]string{"instance": "198.51.100.30"},
			[]string{"other/lonely 198.51.100.30:" + pp}},
		{"gone pod falls back to its deployment", map[string]string{"namespace": "shop", "pod": "api-7d9f-gone", "deployment": "api"},
			[]string{"shop/api-7d9f-aaaaa 198.51.100.10:" + pp, "shop/api-7d9f-bbbbb 198.51.100.11:" + pp, "shop/api-7d9f-ddddd 198.51.100.13:" + pp}},
		{"container port named pprof", map[string]string{"namespace": "shop", "pod": "named-port"},
			[]string{"shop/named-port 198.51.100.40:7070"}},
		{"default port", map[string]string{"namespace": "shop", "pod": "no-hint"},
			[]string{"shop/no-hint 198.51.100.41:6060"}},
		{"label selector: Ready pods first, at most 3", map[string]string{"namespace": "shop", capture.SelectorLabel: "app=api"},
			[]string{"shop/api-7d9f-aaaaa 198.51.100.10:" + pp, "shop/api-7d9f-bbbbb 198.51.100.11:" + pp, "shop/api-7d9f-ddddd 198.51.100.13:" + pp}},
	}
	r := e.resolver(kube.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := r.Resolve(t.Context(), tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range ts {
				if tg.Skip != "" {
					t.Errorf("%s skipped: %s", tg.Key(), tg.Skip)
				}
				if !tg.Proxy {
					t.Errorf("%s: want proxy fetch", tg.Key())
				}
				got = append(got, tg.Key()+" "+tg.Address)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	t.Run("max_pods_per_alert 2", func(t *testing.T) {
		ts, err := e.resolver(kube.Options{MaxPods: 2}).Resolve(t.Context(), map[string]string{"namespace": "shop", "deployment": "api"})
		if err != nil || len(ts) != 2 {
			t.Fatalf("got %d targets (%v), want 2", len(ts), err)
		}
	})
}

func (e *kubeEnv) testSkips(t *testing.T) {
	r := e.resolver(kube.Options{DefaultPort: -1})
	tests := []struct {
		name   string
		labels map[string]string
		skip   string // the target's Skip reason; "" means the whole alert fails with ErrNoTarget
		err    string
	}{
		{"not running", map[string]string{"namespace": "shop", "pod": "api-7d9f-eeeee"}, "pod is Pending, not Running", ""},
		{"opted out", map[string]string{"namespace": "shop", "pod": "opted-out"}, "opted out", ""},
		{"no pprof endpoint", map[string]string{"namespace": "shop", "pod": "no-hint"}, "no pprof endpoint", ""},
		{"denied namespace label", map[string]string{"namespace": "denied", "pod": "secret-sauce"}, "", "namespace denied is denied"},
		{"denied namespace found by IP", map[string]string{"instance": kubetest.FakeIP(50)}, "namespace denied is denied", ""},
		{"no such pod", map[string]string{"namespace": "shop", "pod": "nope"}, "", "pod shop/nope does not exist"},
		{"no such IP", map[string]string{"instance": "198.51.100.99:8080"}, "", "no pod has IP 198.51.100.99"},
		{"workload without namespace", map[string]string{"deployment": "api"}, "", "has no namespace label"},
		{"deployment with no pods", map[string]string{"namespace": "shop", "deployment": "ghost"}, "", "has no pods"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := r.Resolve(t.Context(), tc.labels)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q (targets %v)", err, tc.err, ts)
				}
				return
			}
			if err != nil || len(ts) != 1 || !strings.Contains(ts[0].Skip, tc.skip) {
				t.Fatalf("targets %+v, err %v; want one target skipped with %q", ts, err, tc.skip)
			}
		})
	}
}

func kubeMemory(req, limit string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(req)},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(limit)},
		}
	}
}
