package capture

import (
	"fmt"
	"net"
	"strings"
)

// Target is one process to capture from.
type Target struct {
	// Namespace and Pod name the target in reports and artifact keys. In
	// static mode Namespace is "static" and Pod is the address with the
	// port separated by a dash.
	Namespace string
	Pod       string
	// Address is host:port of the pprof server, always an IP literal.
	Address string
	// Scheme is "http" or "https".
	Scheme string
	// Path is the base path of the pprof handlers, e.g. "/debug/pprof".
	Path string

	// Skip, when set, says in words why this pod is not captured (not
	// Running, opted out, no pprof endpoint, namespace denied, ...). The
	// handler turns it into one report line instead of a capture.
	Skip string
	// Proxy fetches through the API server's pods/proxy subresource
	// instead of dialing Address; Address still names the pod's endpoint.
	Proxy bool
	// Restart is the pod's restart context; nil when no container of the
	// pod has restarted.
	Restart *Restart
	// Memory is the captured container's memory request, limit and
	// GOMEMLIMIT; nil when not known (static targets).
	Memory *MemoryBounds
	// Owner and SlackChannel come from the pod's alertprof.io/owner and
	// alertprof.io/slack-channel annotations; empty when not set.
	Owner        string
	SlackChannel string
	// Workload names the pod's workload as "Kind/name" (a Deployment for
	// the pods of its ReplicaSets, "Pod/<name>" for a pod without a
	// controller); empty for a static target. With Namespace it finds the
	// captures of the workload's other pods.
	Workload string
}

// Key identifies the target for dedupe and cooldowns.
func (t Target) Key() string { return t.Namespace + "/" + t.Pod }

// String names the target for logs and reports.
func (t Target) String() string { return fmt.Sprintf("%s/%s (%s)", t.Namespace, t.Pod, t.Address) }

// URL returns the address of one pprof endpoint (name such as "heap" or
// "profile") with the given raw query, which may be empty.
func (t Target) URL(name, rawQuery string) string {
	scheme := t.Scheme
	if scheme == "" {
		scheme = "http"
	}
	u := scheme + "://" + t.Address + strings.TrimRight(t.Path, "/") + "/" + name
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

// staticPodName turns host:port into a name safe for artifact keys.
func staticPodName(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return sanitizeKeyPart(hostport)
	}
	return sanitizeKeyPart(host) + "-" + port
}
