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

// LeaseRBACRules are the permissions coordination between replicas uses,
// granted by a Role in the namespace that holds the Leases: take, renew
// and release them (get, create, update), find the incidents whose holder
// is gone (list), and delete the Leases of closed incidents and of
// targets past their cooldown (delete).
var LeaseRBACRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "create", "update", "delete"}},
}
