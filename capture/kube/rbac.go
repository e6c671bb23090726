package kube

import rbacv1 "k8s.io/api/rbac/v1"

// RBACRules are every permission alertprof's Kubernetes mode can use:
// read pods (resolve an alert to pods, by name, owner or IP), read a
// previous container's log (restart context), and GET through pods/proxy
// (proxy fetch mode). Bound by a ClusterRole they cover every namespace;
// by a Role, one namespace (alerts that carry only an instance label then
// need kubernetes.namespaces.allow to list plain names). A configuration
// that fetches directly or reads no logs needs fewer: see RBACRulesFor,
// which the Helm chart's rules must equal. The RBAC integration test
// proves these suffice.
var RBACRules = RBACRulesFor(FetchProxy, DefaultLogLines)

// RBACRulesFor returns the permissions a configuration uses, given its
// capture.kubernetes.fetch_mode and log_lines: pods always; pods/proxy
// unless fetchMode is FetchDirect (FetchAuto, or empty, becomes the proxy
// when alertprof runs from a kubeconfig); pods/log when logLines > 0.
func RBACRulesFor(fetchMode string, logLines int) []rbacv1.PolicyRule {
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
	}
	if logLines > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}})
	}
	if fetchMode != FetchDirect {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/proxy"}, Verbs: []string{"get"}})
	}
	return rules
}
