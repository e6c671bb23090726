package capture

import (
	"strings"
	"time"
)

// Workload kinds a target can belong to, as Kubernetes names its
// controllers; WorkloadPod is a pod that no controller owns, and
// WorkloadInstance a static target (its Name is host:port).
const (
	WorkloadDeployment  = "Deployment"
	WorkloadStatefulSet = "StatefulSet"
	WorkloadDaemonSet   = "DaemonSet"
	WorkloadReplicaSet  = "ReplicaSet"
	WorkloadJob         = "Job"
	WorkloadPod         = "Pod"
	WorkloadInstance    = "instance"
)

// Workload is what a target's process is one instance of: the Deployment
// (through its ReplicaSet), StatefulSet, DaemonSet or Job that owns the
// pod, the pod itself when nothing owns it, or the address of a static
// target. Healthy baselines are kept per workload, as the pods of a
// Deployment come and go.
type Workload struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
}

// IsZero reports whether w names nothing.
func (w Workload) IsZero() bool { return w.Kind == "" || w.Name == "" }

// Key identifies the workload: namespace/Kind/name.
func (w Workload) Key() string { return w.Namespace + "/" + w.Kind + "/" + w.Name }

// String names the workload for people: "Deployment shop/api".
func (w Workload) String() string {
	if w.Kind == WorkloadInstance {
		return w.Name
	}
	return w.Kind + " " + w.Namespace + "/" + w.Name
}

// Labels are alert labels that resolve to the workload's pods (or its
// address), for capturing it without an alert; nil for a zero workload or
// a kind of controller no alert label names.
func (w Workload) Labels() map[string]string {
	label := map[string]string{
		WorkloadDeployment:  "deployment",
		WorkloadStatefulSet: "statefulset",
		WorkloadDaemonSet:   "daemonset",
		WorkloadReplicaSet:  "replicaset",
		WorkloadJob:         "job_name",
		WorkloadPod:         "pod",
	}[w.Kind]
	switch {
	case w.IsZero():
		return nil
	case w.Kind == WorkloadInstance:
		return map[string]string{"instance": w.Name}
	case label == "":
		return nil
	}
	return map[string]string{"namespace": w.Namespace, label: w.Name}
}

// WorkloadOf is t's workload: the one the resolver named in t.Workload
// ("Kind/name", in t's namespace), else the static target's address, else
// the pod itself.
func WorkloadOf(t Target) Workload {
	if kind, name, ok := strings.Cut(t.Workload, "/"); ok && kind != "" && name != "" {
		return Workload{Namespace: t.Namespace, Kind: kind, Name: name}
	}
	if t.Namespace == "static" && t.Address != "" {
		return Workload{Namespace: t.Namespace, Kind: WorkloadInstance, Name: t.Address}
	}
	return Workload{Namespace: t.Namespace, Kind: WorkloadPod, Name: t.Pod}
}

// BaselinePrefix is where the healthy baselines of w taken at taken are
// kept: baselines/<namespace>/<kind>/<name>/<yyyymmddThhmmss.mmmZ>.
func BaselinePrefix(w Workload, taken time.Time) string {
	return "baselines/" + sanitizeKeyPart(w.Namespace) + "/" + sanitizeKeyPart(w.Kind) + "/" +
		sanitizeKeyPart(w.Name) + "/" + taken.UTC().Format("20060102T150405.000Z")
}
