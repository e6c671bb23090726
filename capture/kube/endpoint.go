package kube

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/alertprof/alertprof/capture"
)

// Pod annotations that tune how alertprof captures a pod.
const (
	AnnotationEnabled      = "alertprof.io/enabled"       // "false" opts the pod out
	AnnotationPort         = "alertprof.io/port"          // port number or container port name
	AnnotationPath         = "alertprof.io/path"          // pprof base path
	AnnotationScheme       = "alertprof.io/scheme"        // http or https
	AnnotationContainer    = "alertprof.io/container"     // the container that serves pprof
	AnnotationOwner        = "alertprof.io/owner"         // team to mention
	AnnotationSlackChannel = "alertprof.io/slack-channel" // channel for the thread
)

// PprofPortName is the container port name alertprof looks for when the
// pod has no alertprof.io/port annotation.
const PprofPortName = "pprof"

// podTarget turns a pod into a target. A pod that cannot be captured gets
// a target whose Skip says why, so the report can show one line for it.
func (k *Resolver) podTarget(pod *corev1.Pod) capture.Target {
	t := capture.Target{
		Namespace:    pod.Namespace,
		Pod:          pod.Name,
		Scheme:       "http",
		Path:         k.opts.Path,
		Proxy:        k.opts.FetchMode == FetchProxy,
		Owner:        pod.Annotations[AnnotationOwner],
		SlackChannel: pod.Annotations[AnnotationSlackChannel],
		Workload:     workloadOf(pod),
	}
	if reason := k.namespaceDenied(pod.Namespace); reason != "" {
		t.Skip = reason
		return t
	}
	if v, ok := pod.Annotations[AnnotationEnabled]; ok && strings.EqualFold(strings.TrimSpace(v), "false") {
		t.Skip = "opted out (annotation " + AnnotationEnabled + "=false)"
		return t
	}
	if pod.Status.Phase != corev1.PodRunning {
		phase := string(pod.Status.Phase)
		if phase == "" {
			phase = "Unknown"
		}
		t.Skip = "pod is " + phase + ", not Running"
		return t
	}
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil {
		t.Skip = "pod has no IP address yet"
		return t
	}
	if v := pod.Annotations[AnnotationPath]; v != "" {
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#") {
			t.Skip = fmt.Sprintf("annotation %s=%q is not an absolute path", AnnotationPath, v)
			return t
		}
		t.Path = v
	}
	if v := pod.Annotations[AnnotationScheme]; v != "" {
		if v != "http" && v != "https" {
			t.Skip = fmt.Sprintf("annotation %s=%q is not http or https", AnnotationScheme, v)
			return t
		}
		t.Scheme = v
	}
	port, reason := k.pprofPort(pod)
	if reason != "" {
		t.Skip = reason
		return t
	}
	t.Address = net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(port))
	return t
}

// pprofPort finds the pprof port: the alertprof.io/port annotation (a
// number or a container port name), else a container port named pprof,
// else the configured default port. The alertprof.io/container annotation
// limits the search to one container.
func (k *Resolver) pprofPort(pod *corev1.Pod) (int, string) {
	containers := pod.Spec.Containers
	if name := pod.Annotations[AnnotationContainer]; name != "" {
		containers = nil
		for _, c := range pod.Spec.Containers {
			if c.Name == name {
				containers = []corev1.Container{c}
			}
		}
		if containers == nil {
			return 0, fmt.Sprintf("annotation %s names container %q, which the pod does not have", AnnotationContainer, name)
		}
	}
	if v := strings.TrimSpace(pod.Annotations[AnnotationPort]); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			if n < 1 || n > 65535 {
				return 0, fmt.Sprintf("annotation %s=%q is not a valid port", AnnotationPort, v)
			}
			return n, ""
		}
		if p, ok := namedPort(containers, v); ok {
			return p, ""
		}
		return 0, fmt.Sprintf("annotation %s=%q is neither a port number nor a container port name", AnnotationPort, v)
	}
	if p, ok := namedPort(containers, PprofPortName); ok {
		return p, ""
	}
	if k.opts.DefaultPort > 0 {
		return k.opts.DefaultPort, ""
	}
	return 0, "no pprof endpoint (no " + AnnotationPort + " annotation, no container port named " + PprofPortName + ", and no default port)"
}

func namedPort(containers []corev1.Container, name string) (int, bool) {
	for _, c := range containers {
		for _, p := range c.Ports {
			if p.Name == name && p.ContainerPort > 0 {
				return int(p.ContainerPort), true
			}
		}
	}
	return 0, false
}
