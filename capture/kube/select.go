package kube

import (
	"context"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/alertprof/alertprof/capture"
)

// targets ranks pods and turns the first MaxPods into targets: the pod
// named in the alert first, then capturable pods before skipped ones,
// Running and Ready before merely Running, then by name so the choice is
// stable. Pods with restarts get their restart context; every pod gets
// its container's memory bounds.
func (k *Resolver) targets(ctx context.Context, pods []corev1.Pod, named string) []capture.Target {
	type cand struct {
		pod    *corev1.Pod
		target capture.Target
		rank   int
	}
	cands := make([]cand, len(pods))
	for i := range pods {
		p := &pods[i]
		t := k.podTarget(p)
		rank := 0
		if p.Name != named || named == "" {
			rank += 4
		}
		if t.Skip != "" {
			rank += 2
		}
		if !podReady(p) {
			rank++
		}
		cands[i] = cand{pod: p, target: t, rank: rank}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.pod.Namespace+"/"+a.pod.Name, b.pod.Namespace+"/"+b.pod.Name)
	})
	if len(cands) > k.opts.MaxPods {
		k.log.Info("alert matches more pods than max_pods_per_alert; capturing the first",
			"matched", len(cands), "max_pods_per_alert", k.opts.MaxPods)
		cands = cands[:k.opts.MaxPods]
	}
	out := make([]capture.Target, 0, len(cands))
	for _, c := range cands {
		if k.namespaceDenied(c.pod.Namespace) == "" { // nothing more is read from a denied namespace
			c.target.Restart = k.restartContext(ctx, c.pod)
			c.target.Memory = memoryBounds(c.pod, c.target.Address)
		}
		out = append(out, c.target)
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
