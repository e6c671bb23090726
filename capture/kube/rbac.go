package kube

import rbacv1 "k8s.io/api/rbac/v1"

// RBACRules are exactly the permissions alertprof's Kubernetes mode needs:
// read pods (resolve an alert to pods, by name, owner or IP), read a
// previous container's log (restart context), and GET through pods/proxy
// (proxy fetch mode). Bound by a ClusterRole they cover every namespace;
// by a Role, one namespace (alerts that carry only an instance label then
// need kubernetes.namespaces.allow to list plain names). The Helm chart's
// rules must equal these; the RBAC integration test proves they suffice.
var RBACRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"pods/proxy"}, Verbs: []string{"get"}},
}
