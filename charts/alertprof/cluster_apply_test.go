//go:build integration

package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
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
