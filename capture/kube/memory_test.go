package kube

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alertprof/alertprof/capture"
)

func memPod(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-0"}, Spec: corev1.PodSpec{Containers: containers}}
}

func memResources(req, limit string) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	if req != "" {
		r.Requests[corev1.ResourceMemory] = resource.MustParse(req)
	}
	if limit != "" {
		r.Limits[corev1.ResourceMemory] = resource.MustParse(limit)
	}
	return r
}

func fieldRef(res, divisor string) corev1.EnvVar {
	ref := &corev1.ResourceFieldSelector{Resource: res}
	if divisor != "" {
		ref.Divisor = resource.MustParse(divisor)
	}
	return corev1.EnvVar{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: ref}}
}

// TestResourceFieldGoMemLimit: the kubelet writes ceil(value/divisor) as a
// bare number, and Go reads a bare number as bytes.
func TestResourceFieldGoMemLimit(t *testing.T) {
	cases := []struct {
		name, field, divisor string
		res                  corev1.ResourceRequirements
		want                 int64
		note                 string
	}{
		{"limit, no divisor", "limits.memory", "", memResources("256Mi", "512Mi"), 512 << 20, ""},
		{"limit, divisor 1", "limits.memory", "1", memResources("256Mi", "512Mi"), 512 << 20, ""},
		{"limit, divisor 1Mi", "limits.memory", "1Mi", memResources("256Mi", "512Mi"), 512, "bare number 512, which Go reads as 512 bytes, not 512Mi"},
		{"limit in G, divisor 1Mi rounds up", "limits.memory", "1Mi", memResources("", "1G"), 954, "bare number 954"},
		{"request", "requests.memory", "", memResources("300M", "512Mi"), 300_000_000, ""},
		{"no limit", "limits.memory", "", memResources("256Mi", ""), 0, "node's allocatable memory"},
		{"not memory", "limits.cpu", "", memResources("256Mi", "512Mi"), 0, "not a memory resource"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var div resource.Quantity
			if c.divisor != "" {
				div = resource.MustParse(c.divisor)
			}
			n, note := ResourceFieldGoMemLimit(c.res, c.field, div)
			if n != c.want || (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
				t.Errorf("got %d %q, want %d %q", n, note, c.want, c.note)
			}
		})
	}
}

// TestMemoryBounds: which container, and GOMEMLIMIT from each source.
func TestMemoryBounds(t *testing.T) {
	sidecar := corev1.Container{Name: "proxy", Resources: memResources("32Mi", "64Mi"), Ports: []corev1.ContainerPort{{ContainerPort: 15000}}}
	app := corev1.Container{Name: "app", Resources: memResources("256Mi", "512Mi"),
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "pprof", ContainerPort: 6060}},
		Env:   []corev1.EnvVar{{Name: "GOGC", Value: "200"}, fieldRef("limits.memory", "")}}
	cases := []struct {
		name    string
		pod     *corev1.Pod
		addr    string
		want    capture.MemoryBounds
		wantNil bool
	}{
		{"the container serving the pprof port", memPod(sidecar, app), "10.0.0.1:6060",
			capture.MemoryBounds{Container: "app", Request: 256 << 20, RequestText: "256Mi", Limit: 512 << 20, LimitText: "512Mi",
				GoMemLimit: 512 << 20, GoMemLimitSource: "resourceFieldRef limits.memory (divisor 1)", GOGC: "200"}, false},
		{"the first without a matching port", memPod(sidecar, app), "10.0.0.1:9999",
			capture.MemoryBounds{Container: "proxy", Request: 32 << 20, RequestText: "32Mi", Limit: 64 << 20, LimitText: "64Mi"}, false},
		{"no address (skipped pod)", memPod(sidecar, app), "",
			capture.MemoryBounds{Container: "proxy", Request: 32 << 20, RequestText: "32Mi", Limit: 64 << 20, LimitText: "64Mi"}, false},
		{"the annotated container", func() *corev1.Pod {
			p := memPod(app, sidecar)
			p.Annotations = map[string]string{AnnotationContainer: "proxy"}
			return p
		}(), "10.0.0.1:6060",
			capture.MemoryBounds{Container: "proxy", Request: 32 << 20, RequestText: "32Mi", Limit: 64 << 20, LimitText: "64Mi"}, false},
		{"an annotated container the pod lacks", func() *corev1.Pod {
			p := memPod(app)
			p.Annotations = map[string]string{AnnotationContainer: "nope"}
			return p
		}(), "10.0.0.1:6060", capture.MemoryBounds{}, true},
		{"literal GOMEMLIMIT, the last entry wins", memPod(corev1.Container{Name: "app", Env: []corev1.EnvVar{
			{Name: "GOMEMLIMIT", Value: "1GiB"}, {Name: "GOMEMLIMIT", Value: "400MiB"}}}), "",
			capture.MemoryBounds{Container: "app", GoMemLimit: 400 << 20, GoMemLimitSource: "env"}, false},
		{"GOMEMLIMIT=off", memPod(corev1.Container{Name: "app", Env: []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "off"}}}), "",
			capture.MemoryBounds{Container: "app", GoMemLimitSource: "env (off)"}, false},
		{"malformed GOMEMLIMIT", memPod(corev1.Container{Name: "app", Env: []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MB"}}}), "",
			capture.MemoryBounds{Container: "app", GoMemLimitSource: "env",
				GoMemLimitNote: `GOMEMLIMIT="400MB" is malformed (want bytes with an optional B, KiB, MiB, GiB or TiB suffix, or off); the Go runtime refuses to start with it`}, false},
		{"divisor 1Mi", memPod(corev1.Container{Name: "app", Resources: memResources("", "512Mi"), Env: []corev1.EnvVar{fieldRef("limits.memory", "1Mi")}}), "",
			capture.MemoryBounds{Container: "app", Limit: 512 << 20, LimitText: "512Mi", GoMemLimit: 512, GoMemLimitSource: "resourceFieldRef limits.memory (divisor 1Mi)",
				GoMemLimitNote: "divisor 1Mi makes the kubelet write the bare number 512, which Go reads as 512 bytes, not 512Mi"}, false},
		{"from a ConfigMap", memPod(corev1.Container{Name: "app", Env: []corev1.EnvVar{{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{
			ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "tuning"}, Key: "memlimit"}}}}}), "",
			capture.MemoryBounds{Container: "app", GoMemLimitSource: "configMapKeyRef tuning/memlimit", GoMemLimitNote: "set from a ConfigMap, which alertprof does not read"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := memoryBounds(c.pod, c.addr)
			switch {
			case c.wantNil && got != nil:
				t.Errorf("bounds %+v, want none", *got)
			case !c.wantNil && (got == nil || *got != c.want):
				t.Errorf("bounds %+v, want %+v", got, c.want)
			}
		})
	}
}
