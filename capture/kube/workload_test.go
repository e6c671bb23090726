package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestWorkloadOf(t *testing.T) {
	ctrl, notCtrl := true, false
	ref := func(kind, name string, c *bool) metav1.OwnerReference {
		return metav1.OwnerReference{Kind: kind, Name: name, Controller: c}
	}
	tests := []struct {
		name   string
		refs   []metav1.OwnerReference
		labels map[string]string
		want   string
	}{
		{"a Deployment's pod", []metav1.OwnerReference{ref("ReplicaSet", "api-7d9f8c", &ctrl)}, map[string]string{"pod-template-hash": "7d9f8c"}, "Deployment/api"},
		{"a bare ReplicaSet", []metav1.OwnerReference{ref("ReplicaSet", "api", &ctrl)}, map[string]string{"pod-template-hash": "7d9f8c"}, "ReplicaSet/api"},
		{"a ReplicaSet without the hash label", []metav1.OwnerReference{ref("ReplicaSet", "api-7d9f8c", &ctrl)}, nil, "ReplicaSet/api-7d9f8c"},
		{"a StatefulSet", []metav1.OwnerReference{ref("StatefulSet", "db", &ctrl)}, nil, "StatefulSet/db"},
		{"a Job", []metav1.OwnerReference{ref("Job", "backup-29000", &ctrl)}, nil, "Job/backup-29000"},
		{"an owner that is not the controller", []metav1.OwnerReference{ref("ConfigMap", "x", &notCtrl), ref("DaemonSet", "agent", &ctrl)}, nil, "DaemonSet/agent"},
		{"no controller", []metav1.OwnerReference{ref("ConfigMap", "x", nil)}, nil, "Pod/p-1"},
		{"no owner", nil, nil, "Pod/p-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p-1", Namespace: "shop", OwnerReferences: tc.refs, Labels: tc.labels}}
			if got := workloadOf(pod); got != tc.want {
				t.Errorf("workloadOf = %q, want %q", got, tc.want)
			}
		})
	}
}
