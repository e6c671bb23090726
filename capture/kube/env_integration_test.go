//go:build integration

package kube_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

// The service account alertprof runs as, bound to exactly kube.RBACRules.
const (
	kubeSANamespace = "alertprof"
	kubeSAName      = "alertprof"
	kubeSAToken     = "alertprof-sa-token"
	kubeNodeName    = "node-1"
)

// kubeEnv is one real API server with a node whose kubelet is a
// stand-in, a real net/http/pprof server on 127.0.0.1, and alertprof's
// service account with its RBAC in place.
type kubeEnv struct {
	cluster *kubetest.Cluster
	admin   kubernetes.Interface
	// sa is a client acting as alertprof's service account; saConfig is
	// its rest config.
	sa       kubernetes.Interface
	saConfig *rest.Config
	kubelet  *kubetest.Kubelet
	pprof    *kubePprofServer
}

func newKubeEnv(t *testing.T) *kubeEnv {
	t.Helper()
	c := kubetest.StartT(t, kubetest.Options{Tokens: []kubetest.Token{
		kubetest.ServiceAccountToken(kubeSAToken, kubeSANamespace, kubeSAName),
	}})
	e := &kubeEnv{cluster: c, admin: kubetest.Client(t, c.Admin), saConfig: c.TokenConfig(kubeSAToken)}
	e.sa = kubetest.Client(t, e.saConfig)
	e.kubelet = kubetest.StartKubelet()
	t.Cleanup(e.kubelet.Close)
	e.pprof = startKubePprof(t)
	ctx := t.Context()
	for _, ns := range []string{kubeSANamespace, "shop", "other", "denied"} {
		if err := kubetest.CreateNamespace(ctx, e.admin, ns); err != nil {
			t.Fatal(err)
		}
	}
	if err := kubetest.CreateNode(ctx, e.admin, kubeNodeName, kubetest.FakeIP(1), e.kubelet.Port()); err != nil {
		t.Fatal(err)
	}
	e.bindServiceAccount(t)
	return e
}

// bindServiceAccount creates the service account, a ClusterRole with
// exactly kube.RBACRules and its binding (what the chart ships), and
// waits until the authorizer has seen them.
func (e *kubeEnv) bindServiceAccount(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	if _, err := e.admin.CoreV1().ServiceAccounts(kubeSANamespace).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: kubeSAName}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "alertprof"},
		Rules:      kube.RBACRules,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alertprof"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "alertprof"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: kubeSANamespace, Name: kubeSAName}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer reads through an informer: wait until it allows.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		r, err := e.sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Verb: "list", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err == nil && r.Status.Allowed {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the service account's binding never took effect (last error: %v)", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kubePprofServer is a real Go net/http/pprof server on 127.0.0.1 that counts
// the requests it serves.
type kubePprofServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string
}

func startKubePprof(t *testing.T) *kubePprofServer {
	t.Helper()
	p := &kubePprofServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hits = append(p.hits, r.URL.Path)
		p.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *kubePprofServer) port() int { return p.srv.Listener.Addr().(*net.TCPAddr).Port }

func (p *kubePprofServer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.hits)
}

// pod builds a pod on the test node with one container "app".
func kubePod(ns, name string, annotations map[string]string, owner *metav1.OwnerReference, labels map[string]string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   kubeNodeName,
			Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}},
		},
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return p
}

func kubeOwner(kind, name string) *metav1.OwnerReference {
	apiVersion := "apps/v1"
	if kind == "Job" {
		apiVersion = "batch/v1"
	}
	ctrl := true
	return &metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID("uid-" + name), Controller: &ctrl}
}

func (e *kubeEnv) runPod(t *testing.T, p *corev1.Pod, ip string, status func(*corev1.PodStatus)) {
	t.Helper()
	if _, err := kubetest.RunPod(t.Context(), e.admin, p, ip, status); err != nil {
		t.Fatal(err)
	}
}

func kubePortAnnotation(port int) map[string]string {
	return map[string]string{kube.AnnotationPort: strconv.Itoa(port)}
}
