//go:build integration

package chart_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/alertprof/alertprof/capture/kube"
)

const (
	release   = "alertprof"
	releaseNS = "monitoring"
	// everythingOn turns every optional part on (namespaced RBAC).
	everythingOn = "ci/everything-on.yaml"
)

// secretEnv are the environment variables the pod reads from the Secret.
var secretEnv = []string{
	"ALERTPROF_WEBHOOK_TOKEN", "ALERTPROF_CAPTURE_TOKEN", "ALERTPROF_WEBHOOK_PASSWORD", "ALERTPROF_LINK_KEY",
	"SLACK_BOT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
}

func helmBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("ALERTPROF_HELM")
	if bin == "" {
		t.Fatal(`ALERTPROF_HELM must name the helm binary; run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`)
	}
	return bin
}

// helm runs helm in the chart directory and returns its combined output.
func helm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBin(t), args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// render runs helm template with args and returns the objects.
func render(t testing.TB, args ...string) objects {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, ".", "--namespace", releaseNS, "--kube-version", "1.34.4"}, args...)...)
	if err != nil {
		t.Fatalf("helm template %q: %v\n%s", args, err, out)
	}
	return parseObjects(t, out)
}

type objects []*unstructured.Unstructured

func parseObjects(t testing.TB, manifest string) objects {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var objs objects
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil {
			t.Fatalf("rendered YAML: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// kinds lists "Kind/namespace/name" of every object.
func (o objects) kinds() []string {
	var out []string
	for _, u := range o {
		out = append(out, u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName())
	}
	slices.Sort(out)
	return out
}

func (o objects) ofKind(kind string) objects {
	var out objects
	for _, u := range o {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// one decodes the single object of kind into v.
func (o objects) one(t testing.TB, kind string, v any) {
	t.Helper()
	k := o.ofKind(kind)
	if len(k) != 1 {
		t.Fatalf("%d objects of kind %s, want 1 (have %q)", len(k), kind, o.kinds())
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(k[0].Object, v); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

func TestLint(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", everythingOn}, {"-f", replicasValues}, {"-f", replicasValues, "--set", "replicaCount=3"}} {
		out, err := helm(t, append([]string{"lint", "--strict", "."}, args...)...)
		if err != nil {
			t.Errorf("helm lint --strict %q: %v\n%s", args, err, out)
		}
		t.Logf("helm lint --strict %q:\n%s", args, out)
	}
}

// TestSchemaRejects: values.schema.json refuses misspelt keys and wrong
// types, in helm template and helm lint alike.
func TestSchemaRejects(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"replicaCont=2", "replicaCont"},
		{"rbac.clusterwide=false", "clusterwide"},
		{"config.captur.mode=static", "captur"},
		{"config.capture.kubernetes.fetchMode=proxy", "fetchMode"},
		{"config.listen=:8080", "listen"},
		{"replicaCount=two", "replicaCount"},
		{"replicaCount=-1", "replicaCount"},
		{"service.port=http", "port"},
		{"config.capture.mode=dynamic", "mode"},
		{"config.capture.cooldown=0s", "cooldown"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			out, err := helm(t, "template", release, ".", "--set", tc.set)
			if err == nil || !strings.Contains(out, "schema") || !strings.Contains(out, tc.want) {
				t.Errorf("helm template --set %s: err %v, want a schema error naming %q\n%s", tc.set, err, tc.want, out)
			}
		})
	}
	typo := t.TempDir() + "/typo.yaml"
	if err := os.WriteFile(typo, []byte("serviceMonitor:\n  enable: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := helm(t, "lint", "--strict", ".", "-f", typo); err == nil || !strings.Contains(out, "enable") {
		t.Errorf("helm lint with serviceMonitor.enable: err %v, want a failure naming the key\n%s", err, out)
	}
}

func TestDefaultValues(t *testing.T) {
	objs := render(t)
	want := []string{
		"ClusterRole//alertprof", "ClusterRoleBinding//alertprof",
		"ConfigMap/monitoring/alertprof", "Deployment/monitoring/alertprof",
		"PersistentVolumeClaim/monitoring/alertprof",
		"Secret/monitoring/alertprof", "Service/monitoring/alertprof", "ServiceAccount/monitoring/alertprof",
	}
	if got := objs.kinds(); !slices.Equal(got, want) {
		t.Fatalf("objects %q\nwant    %q (optional parts are off by default)", got, want)
	}
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	checkDeployment(t, objs, &dep, "alertprof")
	// Default resources: a memory limit, and requests to schedule by.
	if r := dep.Spec.Template.Spec.Containers[0].Resources; r.Limits.Memory().IsZero() || r.Requests.Memory().IsZero() || r.Requests.Cpu().IsZero() {
		t.Errorf("resources %+v, want default requests and a memory limit", r)
	}

	var cr rbacv1.ClusterRole
	objs.one(t, "ClusterRole", &cr)
	checkRules(t, objs, "ClusterRole", cr.Rules)
	// fetch_mode direct (the chart's default) never uses pods/proxy.
	for _, r := range cr.Rules {
		if slices.Contains(r.Resources, "pods/proxy") {
			t.Errorf("ClusterRole grants pods/proxy with fetch_mode direct: %+v", cr.Rules)
		}
	}
	var crb rbacv1.ClusterRoleBinding
	objs.one(t, "ClusterRoleBinding", &crb)
	if crb.RoleRef.Name != cr.Name || len(crb.Subjects) != 1 ||
		crb.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: "alertprof", Namespace: releaseNS}) {
		t.Errorf("binding %+v", crb)
	}

	var sec corev1.Secret
	objs.one(t, "Secret", &sec)
	if len(sec.Data["ALERTPROF_WEBHOOK_TOKEN"]) < 32 || len(sec.Data["ALERTPROF_LINK_KEY"]) < 32 {
		t.Errorf("secret keys %v: want a generated webhook token and link key", keys(sec.Data))
	}

	// A config change changes the checksum, so pods roll.
	var dep2 appsv1.Deployment
	render(t, "--set", "config.log.level=warn").one(t, "Deployment", &dep2)
	if a, b := dep.Spec.Template.Annotations["checksum/config"], dep2.Spec.Template.Annotations["checksum/config"]; a == b {
		t.Errorf("checksum/config %s did not change with the config", a)
	}
}

func TestEverythingOn(t *testing.T) {
	objs := render(t, "-f", everythingOn)
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "AlertmanagerConfig", "NetworkPolicy", "PodDisruptionBudget"} {
		if len(objs.ofKind(kind)) != 1 {
			t.Errorf("no %s in %q", kind, objs.kinds())
		}
	}
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	checkDeployment(t, objs, &dep, "alertprof")
	if got := dep.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(); got != "256Mi" {
		t.Errorf("memory limit %s, want the user's 256Mi", got)
	}

	// Namespaced RBAC: a Role and RoleBinding per rbac.namespaces entry.
	if n := len(objs.ofKind("ClusterRole")) + len(objs.ofKind("ClusterRoleBinding")); n != 0 {
		t.Errorf("%d cluster-wide RBAC objects with rbac.clusterWide false", n)
	}
	var roleNS []string
	for _, u := range objs.ofKind("Role") {
		var r rbacv1.Role
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
			t.Fatal(err)
		}
		checkRules(t, objs, "Role "+r.Namespace, r.Rules)
		roleNS = append(roleNS, r.Namespace)
	}
	for _, u := range objs.ofKind("RoleBinding") {
		var b rbacv1.RoleBinding
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err != nil {
			t.Fatal(err)
		}
		if b.RoleRef.Kind != "Role" || len(b.Subjects) != 1 || b.Subjects[0].Namespace != releaseNS || b.Subjects[0].Name != "alertprof" {
			t.Errorf("RoleBinding %s: %+v %+v", b.Namespace, b.RoleRef, b.Subjects)
		}
	}
	if slices.Sort(roleNS); !slices.Equal(roleNS, []string{"other", "shop"}) {
		t.Errorf("Roles in %q, want shop and other", roleNS)
	}

	// The PrometheusRule: each alert labelled alertprof_kind.
	rules := ruleMap(t, objs.ofKind("PrometheusRule")[0])
	wantKinds := map[string]string{
		"ContainerMemoryNearLimit": "memory", "ContainerMemoryOOMRisk": "memory", "HistogramLatencyP99AboveSLO": "latency",
		"ContainerRestarted": "restart", "ContainerOOMKilled": "restart",
	}
	for name, kind := range wantKinds {
		r, ok := rules[name]
		if !ok {
			t.Errorf("no rule %s", name)
			continue
		}
		if r.labels["alertprof_kind"] != kind {
			t.Errorf("%s: alertprof_kind %q, want %q", name, r.labels["alertprof_kind"], kind)
		}
	}
	if r := rules["ContainerMemoryNearLimit"]; !strings.Contains(r.expr, "container_memory_working_set_bytes") ||
		!strings.Contains(r.expr, `kube_pod_container_resource_limits{resource="memory"}`) || !strings.Contains(r.expr, "> 0.8") || r.forDur != "2m" {
		t.Errorf("memory rule: for %q expr %s", r.forDur, r.expr)
	}
	if r := rules["HistogramLatencyP99AboveSLO"]; !strings.Contains(r.expr, "histogram_quantile(0.99") ||
		!strings.Contains(r.expr, "http_server_request_duration_seconds_bucket") || !strings.Contains(r.expr, "> 0.25") {
		t.Errorf("latency rule: %s", r.expr)
	}
	if r := rules["ContainerOOMKilled"]; !strings.Contains(r.expr, `reason="OOMKilled"`) || !strings.Contains(r.summary, "OOMKilled") ||
		!strings.Contains(rules["ContainerRestarted"].expr, "unless") {
		t.Errorf("restart rules: %+v / %+v", r, rules["ContainerRestarted"])
	}

	// The AlertmanagerConfig sends to the Service with the webhook token.
	amc := objs.ofKind("AlertmanagerConfig")[0]
	wc, _, _ := unstructured.NestedSlice(amc.Object, "spec", "receivers")
	got := fmt.Sprint(wc)
	for _, want := range []string{"url:http://alertprof.monitoring.svc:9095/api/v1/alerts", "key:ALERTPROF_WEBHOOK_TOKEN", "name:alertprof", "type:Bearer"} {
		if !strings.Contains(got, want) {
			t.Errorf("AlertmanagerConfig receivers %s: no %s", got, want)
		}
	}

	// existingSecret: no Secret made, the pod reads the user's.
	objs = render(t, "-f", everythingOn, "--set", "existingSecret=my-creds")
	if n := len(objs.ofKind("Secret")); n != 0 {
		t.Errorf("%d Secrets with existingSecret set", n)
	}
	objs.one(t, "Deployment", &dep)
	checkDeployment(t, objs, &dep, "my-creds")
}

// checkDeployment asserts the hardening, probes, config wiring, writable
// volumes and secret environment of the Deployment.
func checkDeployment(t *testing.T, objs objects, dep *appsv1.Deployment, secretName string) {
	t.Helper()
	ps := dep.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	c := ps.Containers[0]
	if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v", sc)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || (sc.Privileged != nil && *sc.Privileged) {
		t.Errorf("container securityContext %+v", sc)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 9095 {
		t.Errorf("ports %+v, want http 9095", c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.String() != "http" {
			t.Errorf("probe %s: %+v", name, p)
		}
	}
	if !slices.Contains(c.Args, "serve") || !slices.Contains(c.Args, "--config=/etc/alertprof/config.yaml") {
		t.Errorf("args %q", c.Args)
	}

	// The ConfigMap is mounted at /etc/alertprof and its checksum annotated.
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	cfg := cm.Data["config.yaml"]
	sum := sha256.Sum256([]byte(strings.TrimSuffix(cfg, "\n")))
	if got := dep.Spec.Template.Annotations["checksum/config"]; got != hex.EncodeToString(sum[:]) {
		t.Errorf("checksum/config %q, want the sha256 of the config %x", got, sum)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	vols := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		vols[v.Name] = v
	}
	if v := vols[mounts["/etc/alertprof"]]; v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
		t.Errorf("/etc/alertprof is %+v, want ConfigMap %s", v, cm.Name)
	}
	// The store and spool directories of the config are on the PVC when
	// there is one (persistence, the default), else on emptyDirs.
	dirs := configDirs(t, cfg)
	pvcs := objs.ofKind("PersistentVolumeClaim")
	for _, dir := range dirs {
		v, ok := volumeFor(ps.Volumes, c.VolumeMounts, dir)
		switch claim := v.PersistentVolumeClaim; {
		case !ok:
			t.Errorf("%s is on no volume (mounts %v)", dir, mounts)
		case len(pvcs) == 1 && (claim == nil || claim.ClaimName != pvcs[0].GetName()):
			t.Errorf("%s is on %+v, want the PVC %s", dir, v, pvcs[0].GetName())
		case len(pvcs) == 0 && claim == nil && v.EmptyDir == nil:
			t.Errorf("%s is on %+v, want an emptyDir or a claim", dir, v)
		}
	}
	if v := vols[mounts["/tmp"]]; v.EmptyDir == nil {
		t.Errorf("/tmp is not an emptyDir mount (mounts %v)", mounts)
	}

	// Every secret reaches the pod as an environment variable.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	for _, name := range secretEnv {
		e, ok := env[name]
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secretName || e.ValueFrom.SecretKeyRef.Key != name {
			t.Errorf("env %s: %+v, want it from Secret %s", name, e, secretName)
		}
	}
	// pprof's web UI needs a config directory on a writable mount.
	if e := env["XDG_CONFIG_HOME"]; e.Value != "/tmp" {
		t.Errorf("env XDG_CONFIG_HOME %+v, want /tmp (an emptyDir) for pprof's web UI", e)
	}
	if dep.Spec.Template.Spec.ServiceAccountName != "alertprof" {
		t.Errorf("serviceAccountName %q", dep.Spec.Template.Spec.ServiceAccountName)
	}
}

// checkRules: the chart grants exactly kube.RBACRulesFor the rendered
// config's fetch_mode and log_lines (alertprof's defaults where unset).
func checkRules(t *testing.T, objs objects, what string, rules []rbacv1.PolicyRule) {
	t.Helper()
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	fetchMode, logLines := kubeSettings(t, cm.Data["config.yaml"])
	want := kube.RBACRulesFor(fetchMode, logLines)
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("%s rules %+v\nwant exactly kube.RBACRulesFor(%q, %d) %+v", what, rules, fetchMode, logLines, want)
	}
}

// kubeSettings returns capture.kubernetes.fetch_mode and log_lines of a
// rendered config, with alertprof's defaults (auto, 50) where unset.
func kubeSettings(t testing.TB, cfg string) (string, int) {
	t.Helper()
	var c struct {
		Capture struct {
			Kubernetes struct {
				FetchMode string `json:"fetch_mode"`
				LogLines  *int   `json:"log_lines"`
			} `json:"kubernetes"`
		} `json:"capture"`
	}
	if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(cfg), 4096).Decode(&c); err != nil {
		t.Fatalf("config: %v", err)
	}
	k := c.Capture.Kubernetes
	mode, lines := k.FetchMode, kube.DefaultLogLines
	if mode == "" {
		mode = kube.FetchAuto
	}
	if k.LogLines != nil {
		lines = *k.LogLines
	}
	return mode, lines
}

type promRule struct {
	expr, forDur, summary string
	labels                map[string]string
}

func ruleMap(t *testing.T, u *unstructured.Unstructured) map[string]promRule {
	t.Helper()
	groups, _, _ := unstructured.NestedSlice(u.Object, "spec", "groups")
	out := map[string]promRule{}
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			m := r.(map[string]any)
			name, _, _ := unstructured.NestedString(m, "alert")
			expr, _, _ := unstructured.NestedString(m, "expr")
			f, _, _ := unstructured.NestedString(m, "for")
			s, _, _ := unstructured.NestedString(m, "annotations", "summary")
			labels, _, _ := unstructured.NestedStringMap(m, "labels")
			out[name] = promRule{expr: expr, forDur: f, summary: s, labels: labels}
		}
	}
	return out
}

// configDirs returns store.local.dir and store.spool.dir of a config.
func configDirs(t testing.TB, cfg string) []string {
	t.Helper()
	var c struct {
		Store struct {
			Local struct{ Dir string } `json:"local"`
			Spool struct{ Dir string } `json:"spool"`
		} `json:"store"`
	}
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(cfg)), 4096).Decode(&c); err != nil {
		t.Fatalf("config: %v", err)
	}
	if c.Store.Local.Dir == "" || c.Store.Spool.Dir == "" {
		t.Fatalf("config has no store.local.dir or store.spool.dir:\n%s", cfg)
	}
	return []string{c.Store.Local.Dir, c.Store.Spool.Dir}
}

// volumeFor returns the volume whose mount holds dir: the mount with the
// longest path that is dir or a parent of it.
func volumeFor(vols []corev1.Volume, mounts []corev1.VolumeMount, dir string) (corev1.Volume, bool) {
	best := ""
	name := ""
	for _, m := range mounts {
		p := strings.TrimSuffix(m.MountPath, "/")
		if (dir == p || strings.HasPrefix(dir, p+"/")) && len(p) > len(best) {
			best, name = p, m.Name
		}
	}
	for _, v := range vols {
		if v.Name == name {
			return v, true
		}
	}
	return corev1.Volume{}, false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
