//go:build integration

package chart_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// TestPersistence: the store and spool live on a PVC by default, on an
// existing claim when named, on emptyDirs only when persistence is off,
// and a data directory outside the volume is refused.
func TestPersistence(t *testing.T) {
	t.Run("default: a PVC mounted over store and spool", func(t *testing.T) {
		objs := render(t)
		var pvc corev1.PersistentVolumeClaim
		objs.one(t, "PersistentVolumeClaim", &pvc)
		if got := pvc.Spec.Resources.Requests.Storage().String(); got != "8Gi" ||
			!slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) || pvc.Spec.StorageClassName != nil {
			t.Errorf("PVC %+v, want 8Gi ReadWriteOnce on the default StorageClass", pvc.Spec)
		}
		var dep appsv1.Deployment
		objs.one(t, "Deployment", &dep)
		ps := dep.Spec.Template.Spec
		for _, dir := range []string{"/var/lib/alertprof/data", "/var/lib/alertprof/spool"} {
			v, ok := volumeFor(ps.Volumes, ps.Containers[0].VolumeMounts, dir)
			if !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != pvc.Name {
				t.Errorf("%s is on %+v, want PVC %s", dir, v, pvc.Name)
			}
		}
		if dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("strategy %s: a ReadWriteOnce volume needs Recreate", dep.Spec.Strategy.Type)
		}
	})
	t.Run("storageClass - and existingClaim", func(t *testing.T) {
		var pvc corev1.PersistentVolumeClaim
		render(t, "--set", "persistence.storageClass=-").one(t, "PersistentVolumeClaim", &pvc)
		if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "" {
			t.Errorf("storageClass -: storageClassName %v, want \"\"", pvc.Spec.StorageClassName)
		}
		objs := render(t, "--set", "persistence.existingClaim=my-claim")
		if n := len(objs.ofKind("PersistentVolumeClaim")); n != 0 {
			t.Errorf("%d PVCs made with existingClaim", n)
		}
		var dep appsv1.Deployment
		objs.one(t, "Deployment", &dep)
		v, _ := volumeFor(dep.Spec.Template.Spec.Volumes, dep.Spec.Template.Spec.Containers[0].VolumeMounts, "/var/lib/alertprof/data")
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "my-claim" {
			t.Errorf("store on %+v, want my-claim", v)
		}
	})
	t.Run("off: emptyDirs", func(t *testing.T) {
		objs := render(t, "--set", "persistence.enabled=false", "--set", "storageSizeLimit=1Gi")
		if n := len(objs.ofKind("PersistentVolumeClaim")); n != 0 {
			t.Errorf("%d PVCs with persistence off", n)
		}
		var dep appsv1.Deployment
		objs.one(t, "Deployment", &dep)
		checkDeployment(t, objs, &dep, "alertprof")
		for _, dir := range []string{"/var/lib/alertprof/data", "/var/lib/alertprof/spool"} {
			v, _ := volumeFor(dep.Spec.Template.Spec.Volumes, dep.Spec.Template.Spec.Containers[0].VolumeMounts, dir)
			if v.EmptyDir == nil || v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.String() != "1Gi" {
				t.Errorf("%s on %+v, want an emptyDir of 1Gi", dir, v)
			}
		}
	})
	t.Run("a data directory outside the volume is refused", func(t *testing.T) {
		out, err := helm(t, "template", release, ".", "--kube-version", "1.34.4", "--set", "config.store.spool.dir=/spool")
		if err == nil || !strings.Contains(out, "/spool") || !strings.Contains(out, "persistence.mountPath") {
			t.Errorf("spool outside persistence.mountPath: err %v\n%s", err, out)
		}
	})
}

// TestIngressAndHTTPRoute: each routes the linked pages to the Service
// and sets public_url, which an explicit config.public_url overrides.
func TestIngressAndHTTPRoute(t *testing.T) {
	publicURL := func(objs objects) string {
		var cm corev1.ConfigMap
		objs.one(t, "ConfigMap", &cm)
		var c struct {
			PublicURL string `json:"public_url"`
		}
		decodeYAML(t, cm.Data["config.yaml"], &c)
		return c.PublicURL
	}
	if got := publicURL(render(t)); got != "" {
		t.Errorf("public_url %q with neither ingress nor httpRoute", got)
	}

	objs := render(t, "--set", "ingress.enabled=true", "--set", "ingress.host=prof.example.org", "--set", "ingress.className=nginx")
	var ing networkingv1.Ingress
	objs.one(t, "Ingress", &ing)
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "prof.example.org" || *ing.Spec.IngressClassName != "nginx" {
		t.Fatalf("Ingress %+v", ing.Spec)
	}
	var paths []string
	for _, p := range ing.Spec.Rules[0].HTTP.Paths {
		paths = append(paths, p.Path)
		if b := p.Backend.Service; b == nil || b.Name != "alertprof" || b.Port.Name != "http" {
			t.Errorf("path %s backend %+v, want Service alertprof port http", p.Path, p.Backend)
		}
	}
	if !slices.Equal(paths, []string{"/artifacts", "/ui"}) {
		t.Errorf("Ingress paths %q: want only the linked pages, never the webhook", paths)
	}
	if got := publicURL(objs); got != "http://prof.example.org" {
		t.Errorf("public_url %q with a plain-HTTP Ingress", got)
	}
	tls := render(t, "--set", "ingress.enabled=true", "--set", "ingress.host=prof.example.org",
		"--set", "ingress.tls[0].secretName=prof-tls", "--set", "ingress.tls[0].hosts[0]=prof.example.org")
	if got := publicURL(tls); got != "https://prof.example.org" {
		t.Errorf("public_url %q with a TLS Ingress", got)
	}
	explicit := render(t, "--set", "ingress.enabled=true", "--set", "config.public_url=https://lb.example.org/")
	if got := publicURL(explicit); got != "https://lb.example.org/" {
		t.Errorf("public_url %q, want config.public_url to win", got)
	}

	objs = render(t, "--set", "httpRoute.enabled=true", "--set", "httpRoute.parentRefs[0].name=gw",
		"--set", "httpRoute.parentRefs[0].namespace=gateway-system", "--set", "httpRoute.hostnames={prof.example.net}")
	routes := objs.ofKind("HTTPRoute")
	if len(routes) != 1 {
		t.Fatalf("HTTPRoutes %q", objs.kinds())
	}
	got := fmt.Sprint(routes[0].Object["spec"])
	for _, want := range []string{"hostnames:[prof.example.net]", "name:gw namespace:gateway-system", "name:alertprof port:9095",
		"type:PathPrefix value:/artifacts", "type:PathPrefix value:/ui"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTTPRoute spec %s lacks %s", got, want)
		}
	}
	if got := publicURL(objs); got != "https://prof.example.net" {
		t.Errorf("public_url %q with an HTTPRoute", got)
	}
	if out, err := helm(t, "template", release, ".", "--kube-version", "1.34.4", "--set", "httpRoute.enabled=true"); err == nil || !strings.Contains(out, "parentRefs") {
		t.Errorf("httpRoute without parentRefs: err %v\n%s", err, out)
	}
}

// TestRBACFollowsConfig: pods/proxy only when fetch_mode can use the
// proxy, pods/log only when log_lines > 0, nothing in static mode.
func TestRBACFollowsConfig(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		proxy     bool
		logs      bool
		noObjects bool
	}{
		{name: "default (direct)", logs: true},
		{name: "proxy", args: []string{"--set", "config.capture.kubernetes.fetch_mode=proxy"}, proxy: true, logs: true},
		{name: "auto", args: []string{"--set", "config.capture.kubernetes.fetch_mode=auto"}, proxy: true, logs: true},
		{name: "no logs", args: []string{"--set", "config.capture.kubernetes.log_lines=0"}},
		{name: "namespaced proxy without logs", args: []string{"--set", "rbac.clusterWide=false", "--set", "config.capture.kubernetes.fetch_mode=proxy", "--set", "config.capture.kubernetes.log_lines=0"}, proxy: true},
		{name: "static mode", args: []string{"--set", "config.capture.mode=static"}, noObjects: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.args...)
			var rules [][]rbacv1.PolicyRule
			for _, u := range append(objs.ofKind("ClusterRole"), objs.ofKind("Role")...) {
				var r rbacv1.ClusterRole
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
					t.Fatal(err)
				}
				checkRules(t, objs, u.GetKind(), r.Rules)
				rules = append(rules, r.Rules)
			}
			if tc.noObjects {
				if n := len(objs.ofKind("ClusterRoleBinding")) + len(objs.ofKind("RoleBinding")) + len(rules); n != 0 {
					t.Errorf("%d RBAC objects in static mode", n)
				}
				return
			}
			if len(rules) == 0 {
				t.Fatalf("no Role or ClusterRole in %q", objs.kinds())
			}
			for _, rs := range rules {
				has := map[string]bool{}
				for _, r := range rs {
					for _, res := range r.Resources {
						has[res] = true
					}
				}
				if !has["pods"] || has["pods/proxy"] != tc.proxy || has["pods/log"] != tc.logs {
					t.Errorf("rules %+v: want pods, pods/proxy %v, pods/log %v", rs, tc.proxy, tc.logs)
				}
			}
		})
	}
}

// TestChecksumSecret: the pods roll when the chart's Secret changes, and
// there is no checksum of a Secret the chart does not make.
func TestChecksumSecret(t *testing.T) {
	sum := func(args ...string) string {
		var dep appsv1.Deployment
		render(t, args...).one(t, "Deployment", &dep)
		return dep.Spec.Template.Annotations["checksum/secret"]
	}
	a := sum("--set", "secret.webhookToken=one", "--set", "secret.linkKey=k")
	b := sum("--set", "secret.webhookToken=two", "--set", "secret.linkKey=k")
	a2 := sum("--set", "secret.webhookToken=one", "--set", "secret.linkKey=k")
	if a == "" || a == b || a != a2 {
		t.Errorf("checksum/secret %q (token one), %q (token two), %q (one again): want it to follow the Secret", a, b, a2)
	}
	// It is the hash of the data the Secret really carries, generated
	// values included (they are generated once per render).
	for _, args := range [][]string{nil, {"-f", everythingOn}} {
		objs := render(t, args...)
		var sec corev1.Secret
		objs.one(t, "Secret", &sec)
		var lines []string
		for _, k := range keys(sec.Data) {
			lines = append(lines, k+": "+base64.StdEncoding.EncodeToString(sec.Data[k]))
		}
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		var d appsv1.Deployment
		objs.one(t, "Deployment", &d)
		if got := d.Spec.Template.Annotations["checksum/secret"]; got != hex.EncodeToString(h[:]) {
			t.Errorf("values %q: checksum/secret %s, want the sha256 of the Secret's data %x", args, got, h)
		}
	}
	var dep appsv1.Deployment
	render(t, "--set", "existingSecret=mine").one(t, "Deployment", &dep)
	if v, ok := dep.Spec.Template.Annotations["checksum/secret"]; ok {
		t.Errorf("checksum/secret %q with existingSecret: the chart cannot see that Secret", v)
	}
}

// TestExtras: the options users expect from a production chart reach the
// objects they belong to.
func TestExtras(t *testing.T) {
	objs := render(t, "-f", everythingOn,
		"--set", "extraArgs={--log-extra=1}",
		"--set", "prometheusRule.latency.enabled=false", "--set", "prometheusRule.oomKilled.enabled=false",
		"--set", "serviceMonitor.scheme=https", "--set", "serviceMonitor.tlsConfig.insecureSkipVerify=true")
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	ps := dep.Spec.Template.Spec
	c := ps.Containers[0]
	if c.Image != "ghcr.io/alertprof/alertprof@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("image %q, want the digest", c.Image)
	}
	if dep.Spec.RevisionHistoryLimit == nil || *dep.Spec.RevisionHistoryLimit != 5 {
		t.Errorf("revisionHistoryLimit %v", dep.Spec.RevisionHistoryLimit)
	}
	if c.Args[len(c.Args)-1] != "--log-extra=1" {
		t.Errorf("args %q, want extraArgs last", c.Args)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "alertprof-extra-env" {
		t.Errorf("envFrom %+v", c.EnvFrom)
	}
	if v, ok := volumeFor(ps.Volumes, c.VolumeMounts, "/etc/ssl/corp/ca.pem"); !ok || v.ConfigMap == nil || v.ConfigMap.Name != "corp-ca-bundle" {
		t.Errorf("extra volume %+v", v)
	}
	if p := c.StartupProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("startupProbe %+v", p)
	}
	if tsc := ps.TopologySpreadConstraints; len(tsc) != 1 || tsc[0].LabelSelector == nil ||
		tsc[0].LabelSelector.MatchLabels["app.kubernetes.io/name"] != "alertprof" || tsc[0].TopologyKey != "topology.kubernetes.io/zone" {
		t.Errorf("topologySpreadConstraints %+v, want the pod labels filled in", tsc)
	}

	sm := objs.ofKind("ServiceMonitor")[0]
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	got := fmt.Sprint(eps)
	for _, want := range []string{"scheme:https", "insecureSkipVerify:true", "scrapeTimeout:10s", "targetLabel:team", "action:drop"} {
		if !strings.Contains(got, want) {
			t.Errorf("ServiceMonitor endpoints %s lack %s", got, want)
		}
	}
	rules := ruleMap(t, objs.ofKind("PrometheusRule")[0])
	if _, ok := rules["HistogramLatencyP99AboveSLO"]; ok {
		t.Errorf("latency rule present with prometheusRule.latency.enabled=false")
	}
	if _, ok := rules["ContainerOOMKilled"]; ok {
		t.Errorf("OOMKilled rule present with prometheusRule.oomKilled.enabled=false")
	}
	if _, ok := rules["ContainerMemoryNearLimit"]; !ok {
		t.Errorf("memory rule missing: %v", keys(rules))
	}
	none := render(t, "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.memory.enabled=false", "--set", "prometheusRule.earlyWarning.enabled=false",
		"--set", "prometheusRule.latency.enabled=false", "--set", "prometheusRule.restarts.enabled=false", "--set", "prometheusRule.oomKilled.enabled=false")
	if n := len(none.ofKind("PrometheusRule")); n != 0 {
		t.Errorf("%d PrometheusRules with every rule off, want none (an empty group is invalid)", n)
	}
}

func decodeYAML(t testing.TB, s string, v any) {
	t.Helper()
	if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(s), 4096).Decode(v); err != nil {
		t.Fatalf("yaml: %v\n%s", err, s)
	}
}
