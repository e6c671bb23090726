//go:build integration

package chart_test

import (
	"context"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture/kubetest"
)

// testLeaseRBAC applies the ServiceAccount and the Lease Role and
// RoleBinding of a render with replicas (ci/replicas.yaml) for real, then
// acts as the ServiceAccount: it acquires, reads, renews, lists and
// deletes a Lease in the release namespace, and is refused every one of
// these on Leases in other namespaces (kube-system's included) and across
// all namespaces, and refused the verbs the Role does not grant.
func testLeaseRBAC(t *testing.T, c *kubetest.Cluster, a *applier, admin kubernetes.Interface) {
	var rbac objects
	for _, u := range render(t, "-f", replicasValues) {
		if u.GetKind() == "ServiceAccount" || ((u.GetKind() == "Role" || u.GetKind() == "RoleBinding") && u.GetName() == "alertprof-leases") {
			rbac = append(rbac, u)
		}
	}
	if len(rbac) != 3 {
		t.Fatalf("render with replicas: %q, want the ServiceAccount and the Lease Role and RoleBinding", rbac.kinds())
	}
	a.apply(t, rbac, false)
	t.Logf("applied for real: %q", rbac.kinds())

	ctx := t.Context()
	sa := kubetest.Client(t, c.TokenConfig(saToken))
	waitLeasesAllowed(t, sa, releaseNS)

	// In the release namespace: everything a replica does with a Lease.
	own := sa.CoordinationV1().Leases(releaseNS)
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "alertprof-chart-test", Namespace: releaseNS},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptrTo("alertprof-0"),
			LeaseDurationSeconds: ptrTo[int32](15),
			AcquireTime:          &metav1.MicroTime{Time: time.Now()},
			RenewTime:            &metav1.MicroTime{Time: time.Now()},
		},
	}
	got, err := own.Create(ctx, lease, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create a Lease in %s as the ServiceAccount: %v", releaseNS, err)
	}
	if got, err = own.Get(ctx, lease.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("get the Lease: %v", err)
	}
	got.Spec.HolderIdentity = ptrTo("alertprof-1") // a takeover
	got.Spec.LeaseTransitions = ptrTo[int32](1)
	got.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
	if got, err = own.Update(ctx, got, metav1.UpdateOptions{}); err != nil || *got.Spec.HolderIdentity != "alertprof-1" {
		t.Fatalf("update (take over) the Lease: %+v %v", got, err)
	}
	if l, err := own.List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) == 0 {
		t.Fatalf("list Leases in %s: %v (%d items)", releaseNS, err, len(l.Items))
	}
	if err := own.Delete(ctx, lease.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete the Lease: %v", err)
	}
	t.Logf("as system:serviceaccount:%s:alertprof in %s: created, read, took over, listed and deleted a Lease", releaseNS, releaseNS)

	// Elsewhere: nothing. Each namespace holds a Lease made by the admin
	// (kube-system's stands for another component's leader election).
	forbidden := map[string]func(context.Context) error{}
	for _, ns := range []string{"kube-system", "shop"} {
		victim := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: "someone-else", Namespace: ns},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptrTo("other-component"), LeaseDurationSeconds: ptrTo[int32](15)},
		}
		if _, err := admin.CoordinationV1().Leases(ns).Create(ctx, victim, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		l := sa.CoordinationV1().Leases(ns)
		forbidden["get a Lease in "+ns] = func(ctx context.Context) error {
			_, err := l.Get(ctx, victim.Name, metav1.GetOptions{})
			return err
		}
		forbidden["update a Lease in "+ns] = func(ctx context.Context) error {
			v := victim.DeepCopy()
			v.Spec.HolderIdentity = ptrTo("alertprof-0")
			_, err := l.Update(ctx, v, metav1.UpdateOptions{})
			return err
		}
		forbidden["create a Lease in "+ns] = func(ctx context.Context) error {
			_, err := l.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "alertprof-stray", Namespace: ns}}, metav1.CreateOptions{})
			return err
		}
		forbidden["delete a Lease in "+ns] = func(ctx context.Context) error {
			return l.Delete(ctx, victim.Name, metav1.DeleteOptions{})
		}
		forbidden["list Leases in "+ns] = func(ctx context.Context) error {
			_, err := l.List(ctx, metav1.ListOptions{})
			return err
		}
	}
	forbidden["list Leases in every namespace"] = func(ctx context.Context) error {
		_, err := sa.CoordinationV1().Leases("").List(ctx, metav1.ListOptions{})
		return err
	}
	// In its own namespace, only the verbs the Role names.
	if _, err := admin.CoordinationV1().Leases(releaseNS).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "patch-target", Namespace: releaseNS},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	forbidden["patch a Lease in "+releaseNS] = func(ctx context.Context) error {
		_, err := own.Patch(ctx, "patch-target", types.MergePatchType, []byte(`{"spec":{"holderIdentity":"x"}}`), metav1.PatchOptions{})
		return err
	}
	forbidden["delete every Lease in "+releaseNS] = func(ctx context.Context) error {
		return own.DeleteCollection(ctx, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}, metav1.ListOptions{})
	}
	forbidden["watch Leases in "+releaseNS] = func(ctx context.Context) error {
		w, err := own.Watch(ctx, metav1.ListOptions{})
		if err == nil {
			w.Stop()
		}
		return err
	}
	for name, call := range forbidden {
		if err := call(ctx); !apierrors.IsForbidden(err) {
			t.Errorf("%s as the ServiceAccount: err = %v, want Forbidden", name, err)
		} else {
			t.Logf("%s: Forbidden", name)
		}
	}
}

// waitLeasesAllowed waits until the RBAC authorizer (an informer) lets
// the ServiceAccount create Leases in ns.
func waitLeasesAllowed(t *testing.T, sa kubernetes.Interface, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		r, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
				Namespace: ns, Verb: "create", Group: "coordination.k8s.io", Resource: "leases",
			}},
		}, metav1.CreateOptions{})
		if err == nil && r.Status.Allowed {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the Lease RoleBinding never took effect in %s (last error: %v)", ns, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
