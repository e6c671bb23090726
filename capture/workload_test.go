package capture

import (
	"maps"
	"testing"
	"time"
)

// TestWorkloadOfTarget: a target's workload is the resolver's, else the
// static address or the pod; its labels resolve to it again; its baseline
// prefix is a safe key.
func TestWorkloadOfTarget(t *testing.T) {
	static := Target{Namespace: "static", Pod: "127.0.0.1-6060", Address: "127.0.0.1:6060"}
	w := WorkloadOf(static)
	if w.Key() != "static/instance/127.0.0.1:6060" || !maps.Equal(w.Labels(), map[string]string{"instance": "127.0.0.1:6060"}) {
		t.Fatalf("static workload %+v, labels %v", w, w.Labels())
	}
	pod := Target{Namespace: "shop", Pod: "api-0"}
	if w := WorkloadOf(pod); w.Kind != WorkloadPod || !maps.Equal(w.Labels(), map[string]string{"namespace": "shop", "pod": "api-0"}) {
		t.Fatalf("pod workload %+v", w)
	}
	dep := Workload{Namespace: "shop", Kind: WorkloadDeployment, Name: "api"}
	if w := WorkloadOf(Target{Namespace: "shop", Pod: "api-7d9f8c-abcde", Workload: "Deployment/api"}); w != dep ||
		!maps.Equal(w.Labels(), map[string]string{"namespace": "shop", "deployment": "api"}) {
		t.Fatalf("resolver's workload lost: %+v", w)
	}
	if w := WorkloadOf(Target{Namespace: "shop", Pod: "r-0", Workload: "Rollout/r"}); w.Key() != "shop/Rollout/r" || w.Labels() != nil {
		t.Fatalf("a controller no label names: %+v, labels %v", w, w.Labels())
	}
	if got := BaselinePrefix(Workload{Namespace: "../x", Kind: WorkloadInstance, Name: "127.0.0.1:6060"}, time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)); got != "baselines/_._x/instance/127.0.0.1_6060/20260102T030405.006Z" {
		t.Fatalf("prefix %q", got)
	}
}
