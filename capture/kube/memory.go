package kube

import (
	"fmt"
	"math"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/alertprof/alertprof/capture"
)

// memoryBounds reads the memory settings of the container a target
// captures: the one named by the alertprof.io/container annotation, else
// the one whose ports include the target's port, else the first. nil when
// the pod has no such container.
func memoryBounds(pod *corev1.Pod, address string) *capture.MemoryBounds {
	c := memoryContainer(pod, address)
	if c == nil {
		return nil
	}
	b := &capture.MemoryBounds{Container: c.Name}
	if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
		b.Request, b.RequestText = q.Value(), q.String()
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		b.Limit, b.LimitText = q.Value(), q.String()
	}
	// Kubernetes lets a later entry of the same name win.
	for i := range c.Env {
		switch e := &c.Env[i]; e.Name {
		case "GOMEMLIMIT":
			b.GoMemLimit, b.GoMemLimitSource, b.GoMemLimitNote = 0, "", ""
			envGoMemLimit(b, c, e)
		case "GOGC":
			b.GOGC = e.Value
		}
	}
	return b
}

// memoryContainer picks the captured container of pod.
func memoryContainer(pod *corev1.Pod, address string) *corev1.Container {
	cs := pod.Spec.Containers
	if len(cs) == 0 {
		return nil
	}
	if name := pod.Annotations[AnnotationContainer]; name != "" {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i]
			}
		}
		return nil
	}
	if _, p, err := net.SplitHostPort(address); err == nil {
		if port, err := strconv.Atoi(p); err == nil {
			for i := range cs {
				for _, cp := range cs[i].Ports {
					if int(cp.ContainerPort) == port {
						return &cs[i]
					}
				}
			}
		}
	}
	return &cs[0]
}

// envGoMemLimit fills b's GOMEMLIMIT from one env entry of container c.
func envGoMemLimit(b *capture.MemoryBounds, c *corev1.Container, e *corev1.EnvVar) {
	src := e.ValueFrom
	switch {
	case src == nil:
		b.GoMemLimitSource = "env"
		n, err := capture.ParseGoMemLimit(e.Value)
		if err != nil {
			b.GoMemLimitNote = err.Error()
			return
		}
		switch n {
		case math.MaxInt64:
			b.GoMemLimitSource = "env (off)"
		case 0:
			b.GoMemLimitNote = "GOMEMLIMIT=0 leaves the GC no room: it runs nearly nonstop"
		default:
			b.GoMemLimit = n
		}
	case src.ResourceFieldRef != nil:
		ref := src.ResourceFieldRef
		b.GoMemLimitSource = fmt.Sprintf("resourceFieldRef %s (divisor %s)", ref.Resource, divisorText(ref.Divisor))
		if ref.ContainerName != "" && ref.ContainerName != c.Name {
			b.GoMemLimitNote = fmt.Sprintf("the resourceFieldRef names container %q, whose resources alertprof does not read", ref.ContainerName)
			return
		}
		n, note := ResourceFieldGoMemLimit(c.Resources, ref.Resource, ref.Divisor)
		b.GoMemLimit, b.GoMemLimitNote = n, note
	case src.ConfigMapKeyRef != nil:
		b.GoMemLimitSource = "configMapKeyRef " + src.ConfigMapKeyRef.Name + "/" + src.ConfigMapKeyRef.Key
		b.GoMemLimitNote = "set from a ConfigMap, which alertprof does not read"
	case src.SecretKeyRef != nil:
		b.GoMemLimitSource = "secretKeyRef " + src.SecretKeyRef.Name + "/" + src.SecretKeyRef.Key
		b.GoMemLimitNote = "set from a Secret, which alertprof does not read"
	default:
		b.GoMemLimitSource = "valueFrom"
		b.GoMemLimitNote = "set from a source alertprof does not read"
	}
}

func divisorText(d resource.Quantity) string {
	if d.IsZero() {
		return "1"
	}
	return d.String()
}

// ResourceFieldGoMemLimit is the GOMEMLIMIT a container gets from
// valueFrom.resourceFieldRef of resource (limits.memory or
// requests.memory) with divisor: the kubelet writes ceil(value/divisor)
// as a bare number, which Go reads as bytes. A divisor other than 1 thus
// yields a limit far below what was meant, and note says so. A limit that
// is not set becomes the node's allocatable memory, unknown here: n is 0
// and note says why.
func ResourceFieldGoMemLimit(res corev1.ResourceRequirements, field string, divisor resource.Quantity) (n int64, note string) {
	var q resource.Quantity
	var ok bool
	switch field {
	case "limits.memory":
		q, ok = res.Limits[corev1.ResourceMemory]
		if !ok {
			return 0, "limits.memory is not set, so the kubelet fills in the node's allocatable memory, which alertprof does not know"
		}
	case "requests.memory":
		q, ok = res.Requests[corev1.ResourceMemory]
		if !ok {
			return 0, "requests.memory is not set, so GOMEMLIMIT is 0 bytes"
		}
	default:
		return 0, fmt.Sprintf("resourceFieldRef %q is not a memory resource", field)
	}
	div := int64(1)
	if !divisor.IsZero() {
		div = divisor.Value()
	}
	if div <= 0 {
		return 0, fmt.Sprintf("divisor %s is not positive", divisor.String())
	}
	n = int64(math.Ceil(float64(q.Value()) / float64(div)))
	if div != 1 {
		note = fmt.Sprintf("divisor %s makes the kubelet write the bare number %d, which Go reads as %d bytes, not %s", divisor.String(), n, n, q.String())
	}
	return n, note
}
