//go:build integration

package chart_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	t.Run("dry-run apply, 2 and 3 replicas on S3", func(t *testing.T) {
		for want, args := range map[int32][]string{2: {"-f", replicasValues}, 3: {"-f", replicasValues, "--set", "replicaCount=3"}} {
			objs := render(t, args...)
			var dep appsv1.Deployment
			objs.one(t, "Deployment", &dep)
			if dep.Spec.Replicas == nil || *dep.Spec.Replicas != want {
				t.Errorf("values %q: replicas %v, want %d", args, dep.Spec.Replicas, want)
			}
			a.apply(t, objs, true)
		}
	})
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
		for _, args := range [][]string{nil, {"-f", everythingOn}, {"-f", replicasValues}} {
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
	t.Run("Leases as the ServiceAccount, in its namespace only", func(t *testing.T) {
		testLeaseRBAC(t, c, a, admin)
	})
	t.Run("helm install --dry-run=server prints the NOTES snippet", func(t *testing.T) {
		kubeconfig := adminKubeconfig(t, c)
		// kube-apiserver built from the module proxy reports version
		// v0.0.0-master, which fails Chart.yaml's kubeVersion: install a
		// copy of the chart without that one line.
		chart := chartCopyWithoutKubeVersion(t)
		for _, args := range [][]string{nil, {"-f", everythingOn}, {"-f", replicasValues}} {
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
			if many := slices.Contains(args, replicasValues); many != strings.Contains(notes, "2 replicas share incidents through S3") {
				t.Errorf("NOTES (%q): the replicas note shows = %v, want %v:\n%s", args, !many, many, notes)
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
		// Replicas on S3: coordination on, a real MinIO bucket, and the
		// Lease Role applied (alertprof may take Leases from the start).
		t.Run("replicas on S3", func(t *testing.T) {
			endpoint := startMinio(t)
			objs := render(t, "-f", replicasValues, "--set", "config.store.s3.endpoint="+endpoint,
				"--set", "config.store.s3.create_bucket=true",
				"--set", "secret.awsAccessKeyId="+minioUser, "--set", "secret.awsSecretAccessKey="+minioPassword)
			var leaseRBAC objects
			for _, u := range objs {
				if u.GetName() == "alertprof-leases" || u.GetKind() == "ServiceAccount" {
					leaseRBAC = append(leaseRBAC, u)
				}
			}
			a.apply(t, leaseRBAC, false)
			if err := runServe(t, bin, kubeconfig, objs); err != nil {
				t.Fatal(err)
			}
		})
		// The check has teeth: a misspelt config key that gets past the
		// schema (--skip-schema-validation) stops alertprof at start.
		t.Run("misspelt key is refused", func(t *testing.T) {
			err := runServe(t, bin, kubeconfig, render(t, "--skip-schema-validation", "--set", "config.capture.kubernetes.fetchmode=proxy"))
			if err == nil || !strings.Contains(err.Error(), "unknown key fetchmode in capture.kubernetes (did you mean fetch_mode?)") {
				t.Fatalf("alertprof serve with config.capture.kubernetes.fetchmode: %v, want the strict decoder to refuse it", err)
			}
		})
	})
	t.Run("a restarted receiver keeps its state on the volume", func(t *testing.T) {
		testRestartKeepsState(t, c, a, admin, buildAlertprof(t))
	})
	t.Run("before the kill: a restart alert leads with the capture near the limit", func(t *testing.T) {
		testBeforeTheKill(t, c, a, admin, buildAlertprof(t))
	})
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
