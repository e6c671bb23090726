//go:build integration

package kube_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture/kube"
)

// kubeAPILog records which resource and verb each API request used.
type kubeAPILog struct {
	mu   sync.Mutex
	used map[string]bool // "resource verb", e.g. "pods/log get"
}

func (l *kubeAPILog) RoundTrip(next http.RoundTripper, r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.used[kubeRequestAttr(r)] = true
	l.mu.Unlock()
	return next.RoundTrip(r)
}

// kubeRequestAttr maps a core/v1 pod request to its RBAC resource and verb.
func kubeRequestAttr(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // api v1 [namespaces NS] pods [NAME [SUB ...]]
	if len(parts) >= 4 && parts[2] == "namespaces" {
		parts = append(parts[:2], parts[4:]...)
	}
	if len(parts) < 3 {
		return r.Method + " " + r.URL.Path
	}
	res := parts[2]
	switch {
	case len(parts) == 3 && r.Method == http.MethodGet:
		return res + " list"
	case len(parts) == 4 && r.Method == http.MethodGet:
		return res + " get"
	case len(parts) >= 5 && r.Method == http.MethodGet:
		return res + "/" + parts[4] + " get"
	}
	return r.Method + " " + r.URL.Path
}

// testRBAC acts as alertprof's service account, bound to exactly
// kube.RBACRules: alertprof's whole job works (resolve by name, by
// workload, by IP across namespaces; previous log; proxy capture), it uses
// every rule it is granted, and what it does not need is forbidden.
func (e *kubeEnv) testRBAC(t *testing.T) {
	log := &kubeAPILog{used: map[string]bool{}}
	cfg := rest.CopyConfig(e.saConfig)
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return kubeRoundTrip(func(r *http.Request) (*http.Response, error) { return log.RoundTrip(next, r) })
	})
	sa, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := kube.NewResolver(sa, kube.Options{FetchMode: kube.FetchProxy})
	ctx := t.Context()
	for _, labels := range []map[string]string{
		{"namespace": "shop", "pod": "oom-0"},
		{"namespace": "shop", "deployment": "api"},
		{"instance": "198.51.100.30:8080"},
	} {
		ts, err := r.Resolve(ctx, labels)
		if err != nil || len(ts) == 0 {
			t.Fatalf("resolve %v as the service account: %v", labels, err)
		}
		for _, tg := range ts {
			if tg.Restart != nil && tg.Restart.Containers[0].LogError != "" {
				t.Errorf("%s: previous log: %s", tg.Key(), tg.Restart.Containers[0].LogError)
			}
		}
		proxy, err := kube.NewProxyFetcher(cfg, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		requireKubeProfiles(t, kube.NewCapturer(nil, proxy, sa.CoreV1().RESTClient()).Capture(ctx, ts[0], kubePlan))
	}

	var granted []string
	for _, rule := range kube.RBACRules {
		for _, res := range rule.Resources {
			for _, v := range rule.Verbs {
				granted = append(granted, res+" "+v)
			}
		}
	}
	var used []string
	for k := range log.used {
		used = append(used, k)
	}
	slices.Sort(granted)
	slices.Sort(used)
	if !slices.Equal(granted, used) {
		t.Errorf("the job used %q but RBACRules grant %q: the rules must be exactly what is used", used, granted)
	}

	forbidden := map[string]func(context.Context) error{
		"list secrets": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
			return err
		},
		"get a secret": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Secrets(kubeSANamespace).Get(ctx, "any", metav1.GetOptions{})
			return err
		},
		"list nodes": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			return err
		},
		"list configmaps": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().ConfigMaps("shop").List(ctx, metav1.ListOptions{})
			return err
		},
		"list deployments": func(ctx context.Context) error {
			_, err := e.sa.AppsV1().Deployments("shop").List(ctx, metav1.ListOptions{})
			return err
		},
		"list events": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Events("shop").List(ctx, metav1.ListOptions{})
			return err
		},
		"delete a pod": func(ctx context.Context) error {
			return e.sa.CoreV1().Pods("shop").Delete(ctx, "db-0", metav1.DeleteOptions{})
		},
		"create a pod": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Pods("shop").Create(ctx, kubePod("shop", "evil", nil, nil, nil), metav1.CreateOptions{})
			return err
		},
		"patch pod status": func(ctx context.Context) error {
			_, err := e.sa.CoreV1().Pods("shop").UpdateStatus(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", Namespace: "shop"}}, metav1.UpdateOptions{})
			return err
		},
		"exec into a pod": func(ctx context.Context) error {
			return e.sa.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("db-0").SubResource("exec").
				Param("command", "sh").Param("container", "app").Do(ctx).Error()
		},
		"proxy a POST to a pod": func(ctx context.Context) error {
			return e.sa.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("db-0:6060").SubResource("proxy").
				Suffix("debug/pprof/symbol").Do(ctx).Error()
		},
	}
	for name, call := range forbidden {
		if err := call(ctx); !apierrors.IsForbidden(err) {
			t.Errorf("%s as the service account: err = %v, want Forbidden", name, err)
		}
	}
}

type kubeRoundTrip func(*http.Request) (*http.Response, error)

func (f kubeRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
