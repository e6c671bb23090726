//go:build integration

package chart_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/alertprof/alertprof/capture/kube"
)

// replicasValues runs on the S3 store with replicaCount left empty.
const replicasValues = "ci/replicas.yaml"

// leaseRules are the only permissions the Lease Role grants: those the
// receiver's coordination uses.
var leaseRules = kube.LeaseRBACRules

// TestReplicas: replicaCount defaults to 2 on S3 and 1 otherwise; more
// than one replica turns coordination on, gives the pod its name and
// namespace, drops the shared volume for emptyDirs, rolls one pod at a
// time, spreads the pods across nodes, makes a PodDisruptionBudget and a
// Role for Leases in the release namespace.
func TestReplicas(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []string
		replicas     int32
		coordination bool
	}{
		{name: "local store: one", replicas: 1},
		{name: "S3: two", args: []string{"-f", replicasValues}, replicas: 2, coordination: true},
		{name: "S3, three", args: []string{"-f", replicasValues, "--set", "replicaCount=3"}, replicas: 3, coordination: true},
		{name: "S3, static mode: one", args: []string{"-f", replicasValues, "--set", "config.capture.mode=static"}, replicas: 1},
		{name: "S3, one asked for", args: []string{"-f", replicasValues, "--set", "replicaCount=1"}, replicas: 1},
		{name: "S3, one with coordination asked for", args: []string{"-f", replicasValues, "--set", "replicaCount=1",
			"--set", "config.coordination.enabled=true"}, replicas: 1, coordination: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.args...)
			var dep appsv1.Deployment
			objs.one(t, "Deployment", &dep)
			checkDeployment(t, objs, &dep, "alertprof")
			if dep.Spec.Replicas == nil || *dep.Spec.Replicas != tc.replicas {
				t.Fatalf("replicas %v, want %d", dep.Spec.Replicas, tc.replicas)
			}
			checkCoordination(t, objs, &dep, tc.coordination)
			many := tc.replicas > 1
			checkReplicaVolumes(t, objs, &dep, many)
			checkSpreadAndBudget(t, objs, &dep, many)
		})
	}
}

// checkCoordination: the rendered config's coordination.enabled, the
// pod's POD_NAME and POD_NAMESPACE from the downward API, and the Lease
// Role and RoleBinding all follow coordination.
func checkCoordination(t *testing.T, objs objects, dep *appsv1.Deployment, on bool) {
	t.Helper()
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	var cfg struct {
		Coordination struct {
			Enabled bool `json:"enabled"`
		} `json:"coordination"`
	}
	decodeYAML(t, cm.Data["config.yaml"], &cfg)
	if cfg.Coordination.Enabled != on {
		t.Errorf("config coordination.enabled %v, want %v:\n%s", cfg.Coordination.Enabled, on, cm.Data["config.yaml"])
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e
	}
	for name, field := range map[string]string{"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"} {
		e, ok := env[name]
		switch {
		case ok != on:
			t.Errorf("env %s present %v with coordination %v", name, ok, on)
		case on && (e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != field):
			t.Errorf("env %s %+v, want the downward API's %s", name, e, field)
		}
	}

	var roles, bindings []string
	for _, u := range objs.ofKind("Role") {
		var r rbacv1.Role
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(r.Rules, func(p rbacv1.PolicyRule) bool { return slices.Contains(p.APIGroups, "coordination.k8s.io") }) {
			continue
		}
		roles = append(roles, r.Namespace+"/"+r.Name)
		if !reflect.DeepEqual(r.Rules, leaseRules) {
			t.Errorf("Lease Role rules %+v, want exactly %+v", r.Rules, leaseRules)
		}
	}
	for _, u := range objs.ofKind("RoleBinding") {
		var b rbacv1.RoleBinding
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err != nil {
			t.Fatal(err)
		}
		if b.RoleRef.Name != "alertprof-leases" {
			continue
		}
		bindings = append(bindings, b.Namespace+"/"+b.Name)
		if b.RoleRef.Kind != "Role" || len(b.Subjects) != 1 ||
			b.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: "alertprof", Namespace: releaseNS}) {
			t.Errorf("Lease RoleBinding %+v %+v", b.RoleRef, b.Subjects)
		}
	}
	want := []string(nil)
	if on {
		want = []string{releaseNS + "/alertprof-leases"}
	}
	if !slices.Equal(roles, want) || !slices.Equal(bindings, want) {
		t.Errorf("Lease Roles %q, RoleBindings %q; want %q", roles, bindings, want)
	}
	// Nothing cluster-wide mentions Leases.
	for _, u := range objs.ofKind("ClusterRole") {
		if strings.Contains(strings.ToLower(u.GetName()+toJSON(t, u.Object["rules"])), "lease") {
			t.Errorf("ClusterRole %s grants Leases: %s", u.GetName(), toJSON(t, u.Object["rules"]))
		}
	}
}

// checkReplicaVolumes: one replica keeps the PVC and Recreate; more have
// no PVC (a ReadWriteOnce volume attaches to one pod), store and spool on
// each pod's emptyDirs, and roll one pod at a time with none unavailable.
func checkReplicaVolumes(t *testing.T, objs objects, dep *appsv1.Deployment, many bool) {
	t.Helper()
	pvcs := len(objs.ofKind("PersistentVolumeClaim"))
	ps := dep.Spec.Template.Spec
	for _, v := range ps.Volumes {
		if v.PersistentVolumeClaim != nil && many {
			t.Errorf("volume %s is a PVC shared by %d replicas", v.Name, *dep.Spec.Replicas)
		}
	}
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	for _, dir := range configDirs(t, cm.Data["config.yaml"]) {
		v, _ := volumeFor(ps.Volumes, ps.Containers[0].VolumeMounts, dir)
		if many && v.EmptyDir == nil {
			t.Errorf("%s is on %+v, want each replica's own emptyDir", dir, v)
		}
	}
	s := dep.Spec.Strategy
	switch {
	case many && pvcs != 0:
		t.Errorf("%d PVCs with %d replicas", pvcs, *dep.Spec.Replicas)
	case !many && pvcs != 1:
		t.Errorf("%d PVCs with one replica and persistence on, want 1", pvcs)
	case many && (s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxUnavailable.IntValue() != 0 ||
		s.RollingUpdate.MaxSurge == nil || s.RollingUpdate.MaxSurge.IntValue() != 1):
		t.Errorf("strategy %+v with replicas, want RollingUpdate maxSurge 1 maxUnavailable 0", s)
	case !many && s.Type != appsv1.RecreateDeploymentStrategyType:
		t.Errorf("strategy %s with one replica, want Recreate", s.Type)
	}
}

// checkSpreadAndBudget: with replicas the pods spread across nodes
// (ScheduleAnyway) and a PodDisruptionBudget lets one go at a time.
func checkSpreadAndBudget(t *testing.T, objs objects, dep *appsv1.Deployment, many bool) {
	t.Helper()
	tsc := dep.Spec.Template.Spec.TopologySpreadConstraints
	pdbs := objs.ofKind("PodDisruptionBudget")
	if !many {
		if len(tsc) != 0 || len(pdbs) != 0 {
			t.Errorf("one replica: topologySpreadConstraints %+v, %d PodDisruptionBudgets; want none", tsc, len(pdbs))
		}
		return
	}
	if len(tsc) != 1 || tsc[0].TopologyKey != "kubernetes.io/hostname" || tsc[0].MaxSkew != 1 ||
		tsc[0].WhenUnsatisfiable != corev1.ScheduleAnyway || tsc[0].LabelSelector == nil ||
		!reflect.DeepEqual(tsc[0].LabelSelector.MatchLabels, dep.Spec.Selector.MatchLabels) {
		t.Errorf("topologySpreadConstraints %+v, want one across kubernetes.io/hostname selecting the pods %v", tsc, dep.Spec.Selector.MatchLabels)
	}
	var pdb policyv1.PodDisruptionBudget
	objs.one(t, "PodDisruptionBudget", &pdb)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil ||
		pdb.Spec.Selector == nil || !reflect.DeepEqual(pdb.Spec.Selector.MatchLabels, dep.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget %+v, want maxUnavailable 1 over the pods", pdb.Spec)
	}
}

// TestReplicasKeepUserChoices: the user's topology spread and an explicit
// podDisruptionBudget.enabled=false win over the replicas' defaults.
func TestReplicasKeepUserChoices(t *testing.T) {
	objs := render(t, "-f", replicasValues, "--set", "podDisruptionBudget.enabled=false",
		"--set", "topologySpreadConstraints[0].maxSkew=2", "--set", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
		"--set", "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule")
	if n := len(objs.ofKind("PodDisruptionBudget")); n != 0 {
		t.Errorf("%d PodDisruptionBudgets with podDisruptionBudget.enabled=false", n)
	}
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	if tsc := dep.Spec.Template.Spec.TopologySpreadConstraints; len(tsc) != 1 || tsc[0].TopologyKey != "topology.kubernetes.io/zone" || tsc[0].MaxSkew != 2 {
		t.Errorf("topologySpreadConstraints %+v, want only the user's", tsc)
	}
	// One replica with a budget asked for keeps it.
	if n := len(render(t, "--set", "podDisruptionBudget.enabled=true").ofKind("PodDisruptionBudget")); n != 1 {
		t.Errorf("%d PodDisruptionBudgets with podDisruptionBudget.enabled=true and one replica", n)
	}
}

// TestReplicasRefused: the chart refuses, with a message that says why,
// every combination where replicas would capture and post on their own or
// share one volume, and a Lease grant outside the release namespace.
func TestReplicasRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"two on the local store", []string{"--set", "replicaCount=2"},
			[]string{"replicaCount 2 needs config.store.s3", "the local store is one pod's directory"}},
		{"three on the local store", []string{"--set", "replicaCount=3", "--set", "persistence.enabled=false"},
			[]string{"replicaCount 3 needs config.store.s3"}},
		{"two in static mode", []string{"-f", replicasValues, "--set", "replicaCount=2", "--set", "config.capture.mode=static"},
			[]string{"replicaCount 2 needs capture.mode kubernetes or auto", "static mode runs one replica"}},
		{"coordination turned off", []string{"-f", replicasValues, "--set", "config.coordination.enabled=false"},
			[]string{"replicaCount 2 with config.coordination.enabled false"}},
		{"one existing claim", []string{"-f", replicasValues, "--set", "persistence.existingClaim=data"},
			[]string{"replicaCount 2 cannot share persistence.existingClaim data"}},
		{"coordination on the local store", []string{"--set", "config.coordination.enabled=true"},
			[]string{"config.coordination.enabled needs config.store.s3"}},
		{"Leases in another namespace", []string{"-f", replicasValues, "--set", "config.coordination.namespace=kube-system"},
			[]string{"config.coordination.namespace kube-system", "only in the release namespace " + releaseNS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := helm(t, append([]string{"template", release, ".", "--namespace", releaseNS, "--kube-version", "1.34.4"}, tc.args...)...)
			if err == nil {
				t.Fatalf("helm template %q rendered; want a refusal", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("helm template %q: the message lacks %q:\n%s", tc.args, w, out)
				}
			}
			t.Logf("refused: %s", firstLine(out))
		})
	}
	// With rbac.create=false the Lease namespace is the user's to grant.
	objs := render(t, "-f", replicasValues, "--set", "config.coordination.namespace=leases", "--set", "rbac.create=false")
	if n := len(objs.ofKind("Role")) + len(objs.ofKind("RoleBinding")); n != 0 {
		t.Errorf("%d Roles/RoleBindings with rbac.create=false", n)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
