package kube

import (
	"bufio"
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"

	"github.com/alertprof/alertprof/capture"
)

// maxLogBytes caps the previous-container log read for one container.
const maxLogBytes = 256 << 10

// restartContext collects the restart context of every container of pod
// that has restarted (only the alertprof.io/container one when the pod
// names it); nil when none has.
func (k *Resolver) restartContext(ctx context.Context, pod *corev1.Pod) *capture.Restart {
	only := pod.Annotations[AnnotationContainer]
	var out []capture.ContainerRestart
	for _, st := range pod.Status.ContainerStatuses {
		if st.RestartCount == 0 || (only != "" && st.Name != only) {
			continue
		}
		cr := capture.ContainerRestart{Container: st.Name, RestartCount: st.RestartCount}
		if term := st.LastTerminationState.Terminated; term != nil {
			cr.Reason, cr.ExitCode, cr.Signal = term.Reason, term.ExitCode, term.Signal
			cr.StartedAt, cr.FinishedAt = term.StartedAt.Time, term.FinishedAt.Time
		}
		for _, c := range pod.Spec.Containers {
			if c.Name != st.Name {
				continue
			}
			if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
				cr.MemoryRequest = q.String()
			}
			if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
				cr.MemoryLimit = q.String()
			}
		}
		if k.opts.LogLines > 0 {
			lines, err := k.previousLog(ctx, pod, st.Name)
			cr.PreviousLog = lines
			if err != nil {
				cr.LogError = err.Error()
				k.log.Warn("cannot read the previous container log", "namespace", pod.Namespace, "pod", pod.Name, "container", st.Name, "error", err)
			}
		}
		out = append(out, cr)
	}
	if len(out) == 0 {
		return nil
	}
	return &capture.Restart{Containers: out}
}

// previousLog reads the last LogLines lines of the previous instance of
// container through the pods/log subresource.
func (k *Resolver) previousLog(ctx context.Context, pod *corev1.Pod, container string) ([]string, error) {
	tail, limit := int64(k.opts.LogLines), int64(maxLogBytes)
	rc, err := k.client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{
		Container:  container,
		Previous:   true,
		TailLines:  &tail,
		LimitBytes: &limit,
	}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("previous log of %s/%s container %s: %w", pod.Namespace, pod.Name, container, err)
	}
	defer rc.Close()
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(rc, maxLogBytes))
	sc.Buffer(make([]byte, 0, 64<<10), maxLogBytes)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > k.opts.LogLines { // the server honours tailLines; this guards a server that does not
			lines = lines[1:]
		}
	}
	if err := sc.Err(); err != nil {
		return lines, fmt.Errorf("previous log of %s/%s container %s: %w", pod.Namespace, pod.Name, container, err)
	}
	return lines, nil
}
