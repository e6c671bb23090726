//go:build integration

package chart_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

const (
	saToken  = "chart-sa-token"
	nodeName = "node-1"
)

// crd is one CustomResourceDefinition the chart's optional parts use: its
// file in the directory named by env, and the resource it serves.
type crd struct {
	env, file, group, version, resource string
}

var chartCRDs = []crd{
	{"ALERTPROF_PROMOP_CRDS", "monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com", "v1", "servicemonitors"},
	{"ALERTPROF_PROMOP_CRDS", "monitoring.coreos.com_prometheusrules.yaml", "monitoring.coreos.com", "v1", "prometheusrules"},
	{"ALERTPROF_PROMOP_CRDS", "monitoring.coreos.com_alertmanagerconfigs.yaml", "monitoring.coreos.com", "v1alpha1", "alertmanagerconfigs"},
	{"ALERTPROF_GATEWAY_CRDS", "gateway.networking.k8s.io_httproutes.yaml", "gateway.networking.k8s.io", "v1", "httproutes"},
}

// TestAPIServer runs the rendered chart against a real kube-apiserver
// (capture/kubetest): a server-side dry-run apply of every object, the
// RBAC objects applied for real and exercised as the chart's
// ServiceAccount, and the rendered config run by the alertprof binary.
func TestAPIServer(t *testing.T) {
	for _, env := range []string{"ALERTPROF_PROMOP_CRDS", "ALERTPROF_GATEWAY_CRDS"} {
		if os.Getenv(env) == "" {
			t.Fatalf(`%s must name a CRD directory (prometheus-operator's, Gateway API's); run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`, env)
		}
	}
	helmBin(t)
	c := kubetest.StartT(t, kubetest.Options{Tokens: []kubetest.Token{
		kubetest.ServiceAccountToken(saToken, releaseNS, "alertprof"),
	}})
	admin := kubetest.Client(t, c.Admin)
	dyn, err := dynamic.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, ns := range []string{releaseNS, "shop", "other", "notes", keepNS} {
		if err := kubetest.CreateNamespace(ctx, admin, ns); err != nil {
			t.Fatal(err)
		}
	}
	installCRDs(t, dyn)
	disc, err := discovery.NewDiscoveryClientForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	waitDiscovery(t, disc)
	groups, err := restmapper.GetAPIGroupResources(disc)
	if err != nil {
		t.Fatal(err)
	}
	a := &applier{dyn: dyn, mapper: restmapper.NewDiscoveryRESTMapper(groups)}

	t.Run("dry-run apply, default values", func(t *testing.T) { a.apply(t, render(t), true) })
	t.Run("dry-run apply, everything on", func(t *testing.T) { a.apply(t, render(t, "-f", everythingOn), true) })
	t.Run("pod template passes Pod Security restricted", func(t *testing.T) {
		// PodSecurity admission enforces on Pods, not Deployments: dry-run
		// a Pod made from each Deployment's template in a namespace that
		// enforces the restricted profile.
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   "restricted",
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{nil, {"-f", everythingOn}} {
			var dep appsv1.Deployment
			render(t, args...).one(t, "Deployment", &dep)
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "alertprof-psa", Namespace: "restricted"}, Spec: dep.Spec.Template.Spec}
			if _, err := admin.CoreV1().Pods("restricted").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Errorf("values %q: the pod template is refused by the restricted profile: %v", args, err)
			}
		}
	})
	t.Run("namespaced RBAC as the ServiceAccount", func(t *testing.T) {
		testRBAC(t, c, a, admin, false)
	})
	t.Run("cluster-wide RBAC as the ServiceAccount", func(t *testing.T) {
		testRBAC(t, c, a, admin, true)
	})
	t.Run("helm install --dry-run=server prints the NOTES snippet", func(t *testing.T) {
		kubeconfig := adminKubeconfig(t, c)
		// kube-apiserver built from the module proxy reports version
		// v0.0.0-master, which fails Chart.yaml's kubeVersion: install a
		// copy of the chart without that one line.
		chart := chartCopyWithoutKubeVersion(t)
		for _, args := range [][]string{nil, {"-f", everythingOn}} {
			// Its own release and namespace: the RBAC subtests create
			// objects that helm would refuse to adopt.
			out, err := helm(t, append([]string{"install", "notes", chart, "--namespace", "notes", "--dry-run=server", "--kubeconfig", kubeconfig}, args...)...)
			if err != nil {
				t.Fatalf("helm install --dry-run=server %q: %v\n%s", args, err, out)
			}
			_, notes, _ := strings.Cut(out, "NOTES:")
			t.Logf("NOTES %q:%s", args, notes)
			for _, want := range []string{
				"webhook_configs:",
				"- url: http://notes-alertprof.notes.svc:9095/api/v1/alerts",
				"send_resolved: true",
				"type: Bearer",
				"credentials_file: /etc/alertmanager/secrets/notes-alertprof/ALERTPROF_WEBHOOK_TOKEN",
				`matchers: ['alertprof_kind=~"memory|latency|restart|default"']`,
				"kubectl -n notes get secret notes-alertprof",
			} {
				if !strings.Contains(notes, want) {
					t.Errorf("NOTES (%q) lack %q:\n%s", args, want, notes)
				}
			}
		}
	})
	t.Run("the generated token survives re-rendering", func(t *testing.T) {
		testGeneratedTokenSurvives(t, c, admin)
	})
	t.Run("the AlertmanagerConfig routes alerts from other namespaces", func(t *testing.T) {
		testAlertmanagerConfigRoutes(t, c, admin)
	})
	t.Run("alertprof serve accepts the rendered config", func(t *testing.T) {
		kubeconfig, err := c.WriteKubeconfig(saToken)
		if err != nil {
			t.Fatal(err)
		}
		bin := buildAlertprof(t)
		for name, args := range map[string][]string{"default": nil, "everything on": {"-f", everythingOn}} {
			t.Run(name, func(t *testing.T) {
				if err := runServe(t, bin, kubeconfig, render(t, args...)); err != nil {
					t.Fatal(err)
				}
			})
		}
		// The check has teeth: a misspelt config key that gets past the
		// schema (--skip-schema-validation) stops alertprof at start.
		t.Run("misspelt key is refused", func(t *testing.T) {
			err := runServe(t, bin, kubeconfig, render(t, "--skip-schema-validation", "--set", "config.capture.kubernetes.fetchmode=proxy"))
			if err == nil || !strings.Contains(err.Error(), "field fetchmode not found") {
				t.Fatalf("alertprof serve with config.capture.kubernetes.fetchmode: %v, want the strict decoder to refuse it", err)
			}
		})
	})
	t.Run("a restarted receiver keeps its state on the volume", func(t *testing.T) {
		testRestartKeepsState(t, c, a, admin, buildAlertprof(t))
	})
}

// installCRDs creates the chart's CRDs (prometheus-operator's, Gateway
// API's HTTPRoute) and waits until each is Established.
func installCRDs(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	ctx := t.Context()
	for _, c := range chartCRDs {
		b, err := os.ReadFile(filepath.Join(os.Getenv(c.env), c.file))
		if err != nil {
			t.Fatal(err)
		}
		objs := parseObjects(t, string(b))
		if len(objs) != 1 {
			t.Fatalf("%s: %d objects", c.file, len(objs))
		}
		if _, err := dyn.Resource(crdGVR).Create(ctx, objs[0], metav1.CreateOptions{}); err != nil {
			t.Fatalf("create CRD %s: %v", c.file, err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, c := range chartCRDs {
		for {
			u, err := dyn.Resource(crdGVR).Get(ctx, c.resource+"."+c.group, metav1.GetOptions{})
			if err == nil && established(u) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s.%s never became Established (%v)", c.resource, c.group, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// waitDiscovery waits until API discovery serves every CRD's resource:
// Established comes before discovery is updated.
func waitDiscovery(t *testing.T, disc discovery.DiscoveryInterface) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, c := range chartCRDs {
		for !served(disc, c.group+"/"+c.version, c.resource) {
			if time.Now().After(deadline) {
				t.Fatalf("discovery never served %s/%s %s", c.group, c.version, c.resource)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func served(disc discovery.DiscoveryInterface, gv, resource string) bool {
	l, err := disc.ServerResourcesForGroupVersion(gv)
	if err != nil {
		return false
	}
	for _, r := range l.APIResources {
		if r.Name == resource {
			return true
		}
	}
	return false
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

type applier struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

// apply server-side applies every object, as a dry run (dryRun=All) or
// for real, with strict field validation: an unknown or misplaced field
// is an error, as is anything the API server's validation refuses.
func (a *applier) apply(t *testing.T, objs objects, dryRun bool) {
	t.Helper()
	if len(objs) == 0 {
		t.Fatal("no objects")
	}
	opts := metav1.PatchOptions{FieldManager: "alertprof-chart-test", FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Errorf("%s: %v", gvk, err)
			continue
		}
		var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			if u.GetNamespace() == "" {
				t.Errorf("%s %s has no namespace", gvk.Kind, u.GetName())
				continue
			}
			ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		body, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Patch(t.Context(), u.GetName(), types.ApplyPatchType, body, opts); err != nil {
			t.Errorf("apply (dry run %v) %s %s/%s: %v", dryRun, gvk.Kind, u.GetNamespace(), u.GetName(), err)
		} else {
			t.Logf("applied (dry run %v) %s %s/%s", dryRun, gvk.Kind, u.GetNamespace(), u.GetName())
		}
	}
}

// testRBAC applies the chart's ServiceAccount and RBAC objects for real,
// then acts as that ServiceAccount: alertprof resolves a pod and its
// restart context (previous log included), and secrets are refused.
// Namespaced RBAC covers only rbac.namespaces; cluster-wide covers all.
func testRBAC(t *testing.T, c *kubetest.Cluster, a *applier, admin kubernetes.Interface, clusterWide bool) {
	args := []string{"--set", "rbac.clusterWide=false", "--set", "rbac.namespaces={shop}", "--set", "config.capture.kubernetes.fetch_mode=proxy"}
	podNS, podIP := "shop", kubetest.FakeIP(60)
	if clusterWide {
		args, podNS, podIP = nil, "other", kubetest.FakeIP(61)
	}
	var rbac objects
	for _, u := range render(t, args...) {
		switch u.GetKind() {
		case "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
			rbac = append(rbac, u)
		}
	}
	a.apply(t, rbac, false)
	t.Logf("applied for real: %q", rbac.kinds())

	ctx := t.Context()
	kubelet := kubetest.StartKubelet()
	t.Cleanup(kubelet.Close)
	if _, err := admin.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if err := kubetest.CreateNode(ctx, admin, nodeName, kubetest.FakeIP(1), kubelet.Port()); err != nil {
			t.Fatal(err)
		}
	} else {
		// The node exists from the other subtest: point it at this kubelet.
		n, err := admin.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(kubelet.Port())
		if _, err := admin.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: podNS, Name: "oom-0"},
		Spec: corev1.PodSpec{
			NodeName:   nodeName,
			Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}},
		},
	}
	if _, err := kubetest.RunPod(ctx, admin, pod, podIP, func(s *corev1.PodStatus) {
		s.ContainerStatuses[0].RestartCount = 2
		s.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "OOMKilled", ExitCode: 137,
		}}
	}); err != nil {
		t.Fatal(err)
	}
	kubelet.SetLog(podNS, "oom-0", "app", true, "line 1\nfatal error: runtime: out of memory\n")

	sa := kubetest.Client(t, c.TokenConfig(saToken))
	waitAllowed(t, sa, podNS)
	r := kube.NewResolver(sa, kube.Options{FetchMode: kube.FetchProxy})
	for _, labels := range []map[string]string{
		{"namespace": podNS, "pod": "oom-0"},
		{"instance": podIP + ":8080"},
	} {
		if !clusterWide && labels["namespace"] == "" {
			// Listing pods across namespaces needs cluster-wide RBAC; with
			// a Role, instance-only alerts need namespaces.allow.
			labels["namespace"] = podNS
		}
		ts, err := r.Resolve(ctx, labels)
		if err != nil || len(ts) != 1 {
			t.Fatalf("resolve %v as the ServiceAccount: %+v %v", labels, ts, err)
		}
		rc := ts[0].Restart
		if rc == nil || len(rc.Containers) != 1 {
			t.Fatalf("resolve %v: no restart context: %+v", labels, ts[0])
		}
		ct := rc.Containers[0]
		if ct.Reason != "OOMKilled" || ct.RestartCount != 2 || ct.LogError != "" ||
			len(ct.PreviousLog) != 2 || ct.PreviousLog[1] != "fatal error: runtime: out of memory" {
			t.Errorf("restart context %+v", ct)
		}
		t.Logf("resolved %v as system:serviceaccount:%s:alertprof: %s, restart reason %s, restarts %d, %d previous log lines",
			labels, releaseNS, ts[0].Key(), ct.Reason, ct.RestartCount, len(ct.PreviousLog))
	}

	forbidden := map[string]func(context.Context) error{
		"list secrets in " + podNS: func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets(podNS).List(ctx, metav1.ListOptions{})
			return err
		},
		"get the chart's own Secret": func(ctx context.Context) error {
			_, err := sa.CoreV1().Secrets(releaseNS).Get(ctx, "alertprof", metav1.GetOptions{})
			return err
		},
		"list configmaps": func(ctx context.Context) error {
			_, err := sa.CoreV1().ConfigMaps(podNS).List(ctx, metav1.ListOptions{})
			return err
		},
		"delete a pod": func(ctx context.Context) error {
			return sa.CoreV1().Pods(podNS).Delete(ctx, "oom-0", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		},
		"exec into a pod": func(ctx context.Context) error {
			return sa.CoreV1().RESTClient().Post().Namespace(podNS).Resource("pods").Name("oom-0").SubResource("exec").
				Param("command", "sh").Param("container", "app").Do(ctx).Error()
		},
	}
	// pods/proxy follows fetch_mode: the namespaced case runs with proxy,
	// the cluster-wide one with the chart's default, direct.
	proxyAllowed := allowed(t, sa, podNS, "get", "pods", "proxy")
	if proxyAllowed != !clusterWide {
		t.Errorf("GET pods/proxy allowed = %v with fetch_mode %s", proxyAllowed, map[bool]string{true: "direct", false: "proxy"}[clusterWide])
	} else {
		t.Logf("GET pods/proxy allowed = %v (fetch_mode %s)", proxyAllowed, map[bool]string{true: "direct", false: "proxy"}[clusterWide])
	}
	if clusterWide {
		forbidden["GET through pods/proxy under fetch_mode direct"] = func(ctx context.Context) error {
			return sa.CoreV1().RESTClient().Get().Namespace(podNS).Resource("pods").Name("oom-0:6060").SubResource("proxy").
				Suffix("debug/pprof/heap").Do(ctx).Error()
		}
	}
	if !clusterWide {
		forbidden["list pods outside rbac.namespaces"] = func(ctx context.Context) error {
			_, err := sa.CoreV1().Pods("other").List(ctx, metav1.ListOptions{})
			return err
		}
		forbidden["list pods in every namespace"] = func(ctx context.Context) error {
			_, err := sa.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			return err
		}
	}
	for name, call := range forbidden {
		if err := call(ctx); !apierrors.IsForbidden(err) {
			t.Errorf("%s as the ServiceAccount: err = %v, want Forbidden", name, err)
		} else {
			t.Logf("%s: Forbidden", name)
		}
	}
}

// allowed asks the API server whether the client may do verb on
// resource/subresource in ns.
func allowed(t *testing.T, c kubernetes.Interface, ns, verb, resource, sub string) bool {
	t.Helper()
	r, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(t.Context(), &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: ns, Verb: verb, Resource: resource, Subresource: sub,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectAccessReview: %v", err)
	}
	return r.Status.Allowed
}

// chartCopyWithoutKubeVersion copies the chart to a temporary directory
// and drops the kubeVersion line of its Chart.yaml.
func chartCopyWithoutKubeVersion(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "alertprof")
	if err := os.CopyFS(dir, os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "kubeVersion:") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// adminKubeconfig writes a kubeconfig with the cluster's system:masters
// client certificate, for helm.
func adminKubeconfig(t *testing.T, c *kubetest.Cluster) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthority: c.Admin.CAFile}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificate: c.Admin.CertFile, ClientKey: c.Admin.KeyFile}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "admin"}
	cfg.CurrentContext = "kubetest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitAllowed waits until the RBAC authorizer (an informer) lets the
// ServiceAccount list pods in ns.
func waitAllowed(t *testing.T, sa kubernetes.Interface, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		r, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err == nil && r.Status.Allowed {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the chart's binding never took effect in %s (last error: %v)", ns, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// buildAlertprof builds the alertprof binary from this module.
func buildAlertprof(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "alertprof")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/alertprof/alertprof/cmd/alertprof")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/alertprof: %v\n%s", err, out)
	}
	return bin
}

// runServe writes the rendered ConfigMap's config to a file and runs
// `alertprof serve --config FILE` with the Secret's values as its
// environment, as the pod does, until /healthz answers; alertprof's own
// strict decoder and validation judge the config. Only the store and
// spool directories (the pod's emptyDir mounts) are moved to a temporary
// directory; every key stays as rendered. It returns an error when
// alertprof exits before it is up.
func runServe(t *testing.T, bin, kubeconfig string, objs objects) error {
	t.Helper()
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	var sec corev1.Secret
	objs.one(t, "Secret", &sec)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &doc); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, p := range [][]string{{"store", "local", "dir"}, {"store", "spool", "dir"}} {
		n := lookupNode(doc.Content[0], p...)
		if n == nil {
			t.Fatalf("config has no %s", strings.Join(p, "."))
		}
		n.Value = filepath.Join(tmp, p[1])
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "serve", "--config", cfgFile, "--listen", "127.0.0.1:"+strconv.Itoa(port), "--kubeconfig", kubeconfig)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp}
	for k, v := range sec.Data {
		cmd.Env = append(cmd.Env, k+"="+string(v))
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if exited {
			return
		}
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("alertprof serve did not stop cleanly: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("alertprof serve did not stop on SIGINT\n%s", logs.String())
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			exited = true
			return fmt.Errorf("alertprof serve exited (%v) with the rendered config:\n%s\n--- config ---\n%s", err, logs.String(), b)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("alertprof serve is up with the rendered config (/healthz 200)")
				checkWebhookToken(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/alerts", port), string(sec.Data["ALERTPROF_WEBHOOK_TOKEN"]))
				return nil
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertprof serve never answered /healthz\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// quickStartAlert is the test alert of the README's Helm quick-start.
const quickStartAlert = `{"version":"4","status":"firing","receiver":"alertprof",
 "groupKey":"{}:{alertname=\"AlertprofQuickStart\"}","groupLabels":{"alertname":"AlertprofQuickStart"},
 "alerts":[{"status":"firing","labels":{"alertname":"AlertprofQuickStart","alertprof_kind":"memory","namespace":"default","pod":"my-app-0"},
  "startsAt":"2026-01-01T00:00:00Z"}]}`

// checkWebhookToken: the Secret's token reached alertprof through the
// environment: the webhook refuses the test alert without it and takes
// it with it.
func checkWebhookToken(t *testing.T, url, token string) {
	t.Helper()
	if token == "" {
		t.Fatal("the Secret has no ALERTPROF_WEBHOOK_TOKEN")
	}
	for _, tc := range []struct {
		auth string
		ok   bool
	}{{"", false}, {"Bearer wrong", false}, {"Bearer " + token, true}} {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(quickStartAlert))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ok := resp.StatusCode/100 == 2; ok != tc.ok || (!tc.ok && resp.StatusCode != http.StatusUnauthorized) {
			t.Errorf("POST the test alert (with token: %v): %s", tc.ok, resp.Status)
		} else {
			t.Logf("POST the test alert (with token: %v): %s", tc.ok, resp.Status)
		}
	}
}

func lookupNode(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
