// Package kube resolves alerts to Kubernetes pods through client-go and
// captures them: it picks the pods an alert names (by pod, workload,
// label selector or pod IP) within the allowed namespaces, reads each
// pod's pprof endpoint from its annotations and ports, records restart
// context and memory bounds from the pod, and fetches either from the pod
// IP or through the API server's pods/proxy subresource. RBACRules are the
// permissions it needs.
package kube
