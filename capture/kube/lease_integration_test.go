//go:build integration

package kube_test

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

// TestLeases shares incidents and targets between replicas through real
// Leases on a real API server: one holder at a time, also when replicas
// race; takeover once the holder's Lease expires; a target's cooldown
// that holds across replicas; bounded Leases.
func TestLeases(t *testing.T) {
	c := kubetest.StartT(t, kubetest.Options{})
	admin := kubetest.Client(t, c.Admin)
	ctx := t.Context()
	if err := kubetest.CreateNamespace(ctx, admin, "alertprof"); err != nil {
		t.Fatal(err)
	}
	const dur = 2 * time.Second
	a := kube.NewLeases(admin, "alertprof", "replica-a", dur)
	b := kube.NewLeases(admin, "alertprof", "replica-b", dur)
	group := `{}/{severity="page"}:{alertname="HighLatency", namespace="shop"}`

	t.Run("one holder when replicas race", func(t *testing.T) {
		replicas := []*kube.Leases{a, b, kube.NewLeases(admin, "alertprof", "replica-c", dur)}
		claims := make([]capture.Claim, len(replicas))
		var wg sync.WaitGroup
		for i, l := range replicas {
			wg.Go(func() {
				var err error
				if claims[i], err = l.Hold(ctx, capture.ClaimIncident, group, 0); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		held, holder := 0, ""
		for i, cl := range claims {
			if cl.Held {
				held++
				holder = replicas[i].Identity()
			}
		}
		if held != 1 {
			t.Fatalf("%d replicas hold the incident: %+v", held, claims)
		}
		for i, cl := range claims {
			if !cl.Held && cl.Holder != holder {
				t.Errorf("replica %d told the holder is %q, want %q", i, cl.Holder, holder)
			}
		}
		// Clean up for the next subtests: the holder releases it.
		for _, l := range replicas {
			if err := l.Release(ctx, capture.ClaimIncident, group, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("name is DNS-1123 and labelled", func(t *testing.T) {
		name := kube.LeaseName(capture.ClaimIncident, group)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 || len(name) > 63 {
			t.Fatalf("%q: %v", name, errs)
		}
		lease, err := admin.CoordinationV1().Leases("alertprof").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if lease.Labels[kube.LabelLeaseKind] != capture.ClaimIncident || lease.Labels[kube.LabelManagedBy] != "alertprof" {
			t.Fatalf("labels %v", lease.Labels)
		}
	})

	t.Run("held, renewed, then taken over once expired", func(t *testing.T) {
		cl, err := a.Hold(ctx, capture.ClaimIncident, group, 0)
		if err != nil || !cl.Held {
			t.Fatalf("a: %+v %v", cl, err)
		}
		cl, err = b.Hold(ctx, capture.ClaimIncident, group, 0)
		if err != nil || cl.Held || cl.Holder != "replica-a" {
			t.Fatalf("b while a holds: %+v %v", cl, err)
		}
		// a keeps it past one duration by renewing it.
		deadline := time.Now().Add(dur + dur/2)
		for time.Now().Before(deadline) {
			if lost, err := a.Renew(ctx); err != nil || len(lost) > 0 {
				t.Fatalf("renew: lost %v, %v", lost, err)
			}
			time.Sleep(dur / 4)
		}
		if cl, err = b.Hold(ctx, capture.ClaimIncident, group, 0); err != nil || cl.Held {
			t.Fatalf("b while a renews: %+v %v", cl, err)
		}
		if orphans, err := b.Orphans(ctx); err != nil || len(orphans) != 0 {
			t.Fatalf("orphans while a renews: %v %v", orphans, err)
		}
		// a stops renewing (it died): b finds the orphan and takes it over.
		waitUntil(t, cl.Until)
		orphans, err := b.Orphans(ctx)
		if err != nil || len(orphans) != 1 || orphans[0] != group {
			t.Fatalf("orphans: %q %v", orphans, err)
		}
		cl, err = b.Hold(ctx, capture.ClaimIncident, group, 0)
		if err != nil || !cl.Held || cl.From != "replica-a" {
			t.Fatalf("takeover: %+v %v", cl, err)
		}
		// a comes back: its renewal fails, and it counts the Lease lost.
		lost, err := a.Renew(ctx)
		if err != nil || len(lost) != 1 || lost[0] != capture.ClaimIncident || a.Held() != 0 {
			t.Fatalf("a's renewal after the takeover: lost %v, held %d, %v", lost, a.Held(), err)
		}
		if err := b.Drop(ctx, capture.ClaimIncident, group); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CoordinationV1().Leases("alertprof").Get(ctx, kube.LeaseName(capture.ClaimIncident, group), metav1.GetOptions{}); err == nil {
			t.Fatal("the closed incident's Lease is still there")
		}
	})

	t.Run("target cooldown across replicas, then cleaned", func(t *testing.T) {
		target := "shop/api-0|latency"
		cl, err := a.Hold(ctx, capture.ClaimTarget, target, time.Hour)
		if err != nil || !cl.Held {
			t.Fatalf("a: %+v %v", cl, err)
		}
		if cl, err = b.Hold(ctx, capture.ClaimTarget, target, time.Hour); err != nil || cl.Held || cl.Holder != "replica-a" {
			t.Fatalf("b while a captures: %+v %v", cl, err)
		}
		at := time.Now()
		if err := a.Release(ctx, capture.ClaimTarget, target, at); err != nil {
			t.Fatal(err)
		}
		cl, err = b.Hold(ctx, capture.ClaimTarget, target, time.Hour)
		if err != nil || cl.Held || cl.Last.Sub(at).Abs() > time.Millisecond {
			t.Fatalf("b within a's cooldown: %+v %v (captured %s)", cl, err, at)
		}
		if n, err := b.Clean(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("clean within the cooldown: %d %v", n, err)
		}
		if n, err := b.Clean(ctx, time.Nanosecond); err != nil || n != 1 {
			t.Fatalf("clean past the cooldown: %d %v", n, err)
		}
		list, err := admin.CoordinationV1().Leases("alertprof").List(ctx, metav1.ListOptions{LabelSelector: kube.LabelLeaseKind + "=" + capture.ClaimTarget})
		if err != nil || len(list.Items) != 0 {
			t.Fatalf("target leases left: %d %v", len(list.Items), err)
		}
		// A claim released without a capture leaves no Lease behind.
		if cl, err = b.Hold(ctx, capture.ClaimTarget, target, time.Hour); err != nil || !cl.Held {
			t.Fatalf("b after the clean: %+v %v", cl, err)
		}
		if err := b.Release(ctx, capture.ClaimTarget, target, time.Time{}); err != nil {
			t.Fatal(err)
		}
		list, err = admin.CoordinationV1().Leases("alertprof").List(context.Background(), metav1.ListOptions{LabelSelector: kube.LabelLeaseKind + "=" + capture.ClaimTarget})
		if err != nil || len(list.Items) != 0 {
			t.Fatalf("target leases left: %d %v", len(list.Items), err)
		}
	})
}

// waitUntil sleeps until t has passed.
func waitUntil(tb testing.TB, t time.Time) {
	tb.Helper()
	time.Sleep(time.Until(t) + 50*time.Millisecond)
}
