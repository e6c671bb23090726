package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alertprof/alertprof/capture"
)

// TestWorkloadOf: a pod's workload from its owner references, a
// Deployment's through its ReplicaSet's name and the pod-template-hash.
func TestWorkloadOf(t *testing.T) {
	owned := func(kind, name, hash string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-x", Labels: map[string]string{}}}
		if hash != "" {
			p.Labels["pod-template-hash"] = hash
		}
		if kind != "" {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, Name: name}}
		}
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want capture.Workload
	}{
		{"deployment", owned("ReplicaSet", "api-7d9f8c", "7d9f8c"), capture.Workload{Namespace: "shop", Kind: "Deployment", Name: "api"}},
		{"bare replicaset", owned("ReplicaSet", "api-rs", ""), capture.Workload{Namespace: "shop", Kind: "ReplicaSet", Name: "api-rs"}},
		{"statefulset", owned("StatefulSet", "db", ""), capture.Workload{Namespace: "shop", Kind: "StatefulSet", Name: "db"}},
		{"daemonset", owned("DaemonSet", "agent", ""), capture.Workload{Namespace: "shop", Kind: "DaemonSet", Name: "agent"}},
		{"job", owned("Job", "backfill", ""), capture.Workload{Namespace: "shop", Kind: "Job", Name: "backfill"}},
		{"no owner", owned("", "", ""), capture.Workload{Namespace: "shop", Kind: "Pod", Name: "api-x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := workloadOf(tc.pod)
			if got != tc.want {
				t.Fatalf("workload %+v, want %+v", got, tc.want)
			}
			// Its labels resolve back to the workload's pods.
			if l := got.Labels(); l["namespace"] != "shop" || len(l) != 2 {
				t.Fatalf("labels %v", l)
			}
		})
	}
}
