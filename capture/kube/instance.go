package kube

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/alertprof/alertprof/capture"
)

// resolveInstance finds the pod whose IP is the instance label's host. An
// address that is no pod's IP is never fetched, unless the fallback (the
// static resolver and its allowed CIDRs) accepts it.
func (k *Resolver) resolveInstance(ctx context.Context, ns string, labels map[string]string) ([]capture.Target, error) {
	inst := labels["instance"]
	host := inst
	if h, _, err := net.SplitHostPort(inst); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return nil, fmt.Errorf("%w: instance %q is not a pod IP (names are not looked up)", capture.ErrNoTarget, inst)
	}
	ip = ip.Unmap()
	var pods []corev1.Pod
	for _, n := range k.instanceNamespaces(ns) {
		list, err := k.listPods(ctx, n, fields.OneTermEqualSelector("status.podIP", ip.String()).String(), "")
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			if hasIP(&p, ip) {
				pods = append(pods, p)
			}
		}
	}
	if len(pods) > 0 {
		return k.targets(ctx, pods, labels["pod"]), nil
	}
	where := "in any namespace alertprof may read"
	if ns != "" {
		where = "in namespace " + ns
	}
	if k.opts.Fallback == nil {
		return nil, fmt.Errorf("%w: no pod has IP %s %s", capture.ErrNoTarget, ip, where)
	}
	ts, err := k.opts.Fallback.Resolve(ctx, labels)
	if err != nil {
		return nil, fmt.Errorf("no pod has IP %s %s, and %w", ip, where, err)
	}
	return ts, nil
}

// instanceNamespaces is where to look for a pod IP: the alert's namespace,
// else the allowed namespaces when they are plain names, else all ("").
func (k *Resolver) instanceNamespaces(ns string) []string {
	if ns != "" {
		return []string{ns}
	}
	if len(k.opts.AllowNamespaces) == 0 {
		return []string{metav1.NamespaceAll}
	}
	for _, a := range k.opts.AllowNamespaces {
		if strings.ContainsAny(a, `*?[\`) {
			return []string{metav1.NamespaceAll}
		}
	}
	return k.opts.AllowNamespaces
}

func hasIP(pod *corev1.Pod, ip netip.Addr) bool {
	if a, err := netip.ParseAddr(pod.Status.PodIP); err == nil && a.Unmap() == ip {
		return true
	}
	for _, pip := range pod.Status.PodIPs {
		if a, err := netip.ParseAddr(pip.IP); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
