package kube

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// workloadOf names the workload that runs pod, as "Kind/name" (e.g.
// "Deployment/api"), from its controller's owner reference alone: a
// ReplicaSet named <deployment>-<pod-template-hash> stands for its
// Deployment, so that the pods of every rollout of one Deployment share a
// workload. It needs no access to the workload objects. A pod without a
// controller is its own workload, "Pod/<name>".
func workloadOf(pod *corev1.Pod) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller || ref.Name == "" {
			continue
		}
		if hash := pod.Labels["pod-template-hash"]; ref.Kind == "ReplicaSet" && hash != "" {
			if dep, ok := strings.CutSuffix(ref.Name, "-"+hash); ok && dep != "" {
				return "Deployment/" + dep
			}
		}
		return ref.Kind + "/" + ref.Name
	}
	return "Pod/" + pod.Name
}
