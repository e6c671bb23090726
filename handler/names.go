package handler

import (
	"net"
	"slices"
	"strings"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
)

// podName is the one name the incident's messages give target t (its
// parent's pod list and the pod's reply): namespace/pod, or for a static
// target its host:port address, which is what the alert's instance label
// says.
func podName(t capture.Target) string {
	if isStatic(t) {
		return t.Address
	}
	return t.Key()
}

// isStatic reports whether t is a static target: namespace "static" and a
// pod named after its address, as the static resolver names it.
func isStatic(t capture.Target) bool {
	if t.Namespace != "static" {
		return false
	}
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		return false
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, host)
	return t.Pod == host+"-"+port
}

// alertPodName names the pod of an alert that resolved to no target, or
// whose target is known only by its key, from its labels alone: namespace
// and pod, else the namespace and workload, else instance (a static
// target's name), else the alert.
func alertPodName(a template.Alert) string {
	l := a.Labels
	ns := l["namespace"]
	switch {
	case ns != "" && l["pod"] != "":
		return ns + "/" + l["pod"]
	case l["instance"] != "":
		return l["instance"]
	}
	for _, w := range []string{"deployment", "statefulset", "daemonset", "replicaset", "job_name"} {
		if v := l[w]; v != "" && ns != "" {
			return ns + "/" + v + " (" + w + ")"
		}
	}
	if l["pod"] != "" {
		return l["pod"]
	}
	if a.Fingerprint != "" {
		return "alert " + a.Fingerprint
	}
	return "alert " + alertName(a)
}

// podAnnotations are the annotations of alert a a pod's reply shows.
func podAnnotations(a template.Alert) map[string]string {
	var out map[string]string
	for _, k := range []string{"summary", "description", "runbook_url"} {
		if v := a.Annotations[k]; v != "" {
			if out == nil {
				out = make(map[string]string, 3)
			}
			out[k] = v
		}
	}
	return out
}

// jobPodNames names the pods a job captures or notes, for the incident's
// pod list, in order and each once.
func jobPodNames(todo []item, notes ...[]note) []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, it := range todo {
		add(podName(it.target))
	}
	for _, ns := range notes {
		for _, n := range ns {
			if n.target.Pod != "" {
				add(podName(n.target))
			} else {
				add(alertPodName(n.alert))
			}
		}
	}
	return names
}
