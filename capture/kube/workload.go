package kube

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/alertprof/alertprof/capture"
)

// workloadOf names what pod is one instance of, from its owner
// references: a ReplicaSet named <deployment>-<pod-template-hash> is
// its Deployment's; a pod no controller owns is its own workload.
func workloadOf(pod *corev1.Pod) capture.Workload {
	w := capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadPod, Name: pod.Name}
	for _, ref := range pod.OwnerReferences {
		switch ref.Kind {
		case "ReplicaSet":
			if d := capture.DeploymentOf(ref.Name, pod.Labels["pod-template-hash"]); d != "" {
				return capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadDeployment, Name: d}
			}
			return capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadReplicaSet, Name: ref.Name}
		case "StatefulSet":
			return capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadStatefulSet, Name: ref.Name}
		case "DaemonSet":
			return capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadDaemonSet, Name: ref.Name}
		case "Job":
			return capture.Workload{Namespace: pod.Namespace, Kind: capture.WorkloadJob, Name: ref.Name}
		}
	}
	return w
}
