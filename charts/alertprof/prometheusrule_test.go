//go:build integration

package chart_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestEarlyWarningRule: the PrometheusRule's early-warning memory rule
// has the shape its PromQL needs (and the dry-run apply in cluster_test.go
// validates the object against the real API server with
// prometheus-operator's CRDs): the working set over the limit above the
// threshold, or predict_linear of it reaching the limit within the
// horizon, every aggregation keeping namespace, pod and container so that
// alertprof resolves the pod; alertprof_kind=memory; for: two evaluation
// periods; the values tune it and turn it off.
func TestEarlyWarningRule(t *testing.T) {
	r, ok := ruleMap(t, render(t, "--set", "prometheusRule.enabled=true").ofKind("PrometheusRule")[0])["ContainerMemoryOOMRisk"]
	if !ok {
		t.Fatal("no ContainerMemoryOOMRisk rule with prometheusRule.enabled=true")
	}
	if r.labels["alertprof_kind"] != "memory" || r.labels["severity"] != "warning" {
		t.Errorf("labels %v, want alertprof_kind=memory and the alertLabels", r.labels)
	}
	if r.forDur != "2m" {
		t.Errorf("for %q, want 2m (two evaluation periods)", r.forDur)
	}
	checkPromQLShape(t, r.expr)
	for _, want := range []string{
		`sum by (namespace, pod, container) (container_memory_working_set_bytes{container!="", container!="POD"})`,
		`sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="memory"} > 0)`,
		`) > 0.8`,
		`predict_linear(container_memory_working_set_bytes{container!="", container!="POD"}[15m], 600)`,
		`) >= 1`,
	} {
		if !strings.Contains(r.expr, want) {
			t.Errorf("expr lacks %s:\n%s", want, r.expr)
		}
	}
	// The two conditions are joined by or, each a ratio to the limit.
	if parts := strings.Split(r.expr, "\nor\n"); len(parts) != 2 || strings.Count(parts[0], "/") != 1 || strings.Count(parts[1], "/") != 1 {
		t.Errorf("expr is not two ratios joined by or:\n%s", r.expr)
	}
	if !strings.Contains(r.summary, "$labels.pod") || !strings.Contains(r.summary, "humanizePercentage") {
		t.Errorf("summary %q", r.summary)
	}

	tuned, ok := ruleMap(t, render(t, "--set", "prometheusRule.enabled=true", "--set-json", "prometheusRule.earlyWarning.threshold=0.9",
		"--set", "prometheusRule.earlyWarning.for=3m", "--set", "prometheusRule.earlyWarning.predictRange=30m",
		"--set", "prometheusRule.earlyWarning.predictHorizonSeconds=300").ofKind("PrometheusRule")[0])["ContainerMemoryOOMRisk"]
	if !ok {
		t.Fatal("no ContainerMemoryOOMRisk rule with tuned values")
	}
	checkPromQLShape(t, tuned.expr)
	if tuned.forDur != "3m" || !strings.Contains(tuned.expr, ") > 0.9") || !strings.Contains(tuned.expr, "[30m], 300)") {
		t.Errorf("tuned rule: for %q expr:\n%s", tuned.forDur, tuned.expr)
	}

	rules := ruleMap(t, render(t, "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.earlyWarning.enabled=false").ofKind("PrometheusRule")[0])
	if _, ok := rules["ContainerMemoryOOMRisk"]; ok {
		t.Error("ContainerMemoryOOMRisk present with prometheusRule.earlyWarning.enabled=false")
	}
	if _, ok := rules["ContainerMemoryNearLimit"]; !ok {
		t.Error("the memory rule went with the early warning")
	}
	only := render(t, "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.memory.enabled=false",
		"--set", "prometheusRule.latency.enabled=false", "--set", "prometheusRule.restarts.enabled=false", "--set", "prometheusRule.oomKilled.enabled=false")
	if rules := ruleMap(t, only.ofKind("PrometheusRule")[0]); len(rules) != 1 {
		t.Errorf("rules %v with only the early warning on, want it alone", keys(rules))
	}

	for _, tc := range []struct{ set, want string }{
		{"prometheusRule.earlyWarning.threshold=2", "threshold"},
		{"prometheusRule.earlyWarning.predictRange=1.5h", "predictRange"},
		{"prometheusRule.earlyWarning.predictHorizonSeconds=0", "predictHorizonSeconds"},
		{"prometheusRule.earlyWarning.horizon=10m", "horizon"},
	} {
		out, err := helm(t, "template", release, ".", "--kube-version", "1.34.4", "--set", tc.set)
		if err == nil || !strings.Contains(out, "schema") || !strings.Contains(out, tc.want) {
			t.Errorf("helm template --set %s: err %v, want a schema error naming %q\n%s", tc.set, err, tc.want, out)
		}
	}
}

// promAggregation is an aggregation in PromQL, with its grouping.
var promAggregation = regexp.MustCompile(`\b(sum|avg|max|min|count)\b(\s+by\s*\(([^)]*)\))?`)

// checkPromQLShape checks what a PromQL expression for alertprof needs:
// balanced brackets and quotes, and every aggregation grouped by
// namespace, pod and container, the labels alertprof resolves pods by.
func checkPromQLShape(t *testing.T, expr string) {
	t.Helper()
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inQuote := false
	for _, c := range expr {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case pairs[c] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				t.Fatalf("unbalanced %q in:\n%s", c, expr)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 || inQuote {
		t.Fatalf("unclosed %q (quote open: %v) in:\n%s", stack, inQuote, expr)
	}
	aggs := promAggregation.FindAllStringSubmatch(expr, -1)
	if len(aggs) == 0 {
		t.Fatalf("no aggregation in:\n%s", expr)
	}
	for _, m := range aggs {
		if strings.ReplaceAll(m[3], " ", "") != "namespace,pod,container" {
			t.Errorf("%q does not keep namespace, pod and container:\n%s", m[0], expr)
		}
	}
}
