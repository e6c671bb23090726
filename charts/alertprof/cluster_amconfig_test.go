//go:build integration

package chart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture/kubetest"
)

// amBase is the Alertmanager configuration the operator starts from: the
// team that owns shop gets its alerts.
const amBase = `route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: shop-team
      matchers: ['namespace="shop"']
receivers:
  - name: default
  - name: shop-team
`

// testAlertmanagerConfigRoutes feeds the chart's AlertmanagerConfig to
// prometheus-operator's own config generator (ALERTPROF_AMCONFIG, built by
// .ci/tools.d/promop-amconfig.sh from the operator's module; it reads the
// webhook token from the Secret the "keep" release installed, as the
// operator does) under each alertmanagerConfigMatcherStrategy, then asks
// Alertmanager's own router which receivers an alert about a pod in
// another namespace reaches. Under the default strategy it never reaches
// alertprof, which is why the README asks for None, or for
// OnNamespaceExceptForAlertmanagerNamespace with alertprof in
// Alertmanager's namespace; under those it does.
func testAlertmanagerConfigRoutes(t *testing.T, c *kubetest.Cluster, admin kubernetes.Interface) {
	amconfig := os.Getenv("ALERTPROF_AMCONFIG")
	if amconfig == "" {
		t.Fatal(`ALERTPROF_AMCONFIG must name the amconfig tool; run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`)
	}
	dir := t.TempDir()
	amcFile, baseFile := filepath.Join(dir, "amc.yaml"), filepath.Join(dir, "alertmanager.yml")
	// Rendered as the "keep" release, whose Secret holds the token.
	out, err := helm(t, "template", "keep", ".", "--namespace", keepNS, "--kube-version", "1.34.4", "--set", "alertmanagerConfig.enabled=true")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	amc := parseObjects(t, out).ofKind("AlertmanagerConfig")
	if len(amc) != 1 {
		t.Fatalf("%d AlertmanagerConfigs rendered", len(amc))
	}
	b, err := amc[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	writeTestFile(t, amcFile, body)
	writeTestFile(t, baseFile, amBase)
	sec, err := admin.CoreV1().Secrets(keepNS).Get(t.Context(), "keep-alertprof", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := string(sec.Data["ALERTPROF_WEBHOOK_TOKEN"])
	kubeconfig := adminKubeconfig(t, c)

	const alertprof = "keep/keep-alertprof/alertprof" // namespace/object/receiver, as the operator names it
	alert := func(ns string) model.LabelSet {
		return model.LabelSet{"alertname": "ContainerMemoryNearLimit", "alertprof_kind": "memory", "namespace": model.LabelValue(ns), "pod": "api-0"}
	}
	for _, tc := range []struct {
		strategy, amNS string
		shop           bool // an alert about a pod in shop reaches alertprof
	}{
		{"OnNamespace", "monitoring", false},
		{"None", "monitoring", true},
		{"OnNamespaceExceptForAlertmanagerNamespace", keepNS, true},
		{"OnNamespaceExceptForAlertmanagerNamespace", "monitoring", false},
	} {
		t.Run(tc.strategy+" with Alertmanager in "+tc.amNS, func(t *testing.T) {
			cmd := exec.Command(amconfig, "--kubeconfig", kubeconfig, "--base", baseFile, "--strategy", tc.strategy, "--am-namespace", tc.amNS, amcFile)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("amconfig: %v\n%s", err, stderrOf(err))
			}
			cfg, err := config.Load(string(out))
			if err != nil {
				t.Fatalf("Alertmanager refuses the generated config: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), token) || !strings.Contains(string(out), "url: http://keep-alertprof.keep.svc:9095/api/v1/alerts") {
				t.Errorf("generated config lacks the webhook URL or the Secret's token:\n%s", out)
			}
			route := dispatch.NewRoute(cfg.Route, nil)
			receivers := func(ls model.LabelSet) []string {
				var out []string
				for _, r := range route.Match(ls) {
					out = append(out, r.RouteOpts.Receiver)
				}
				return out
			}
			if got := receivers(alert(keepNS)); !slices.Contains(got, alertprof) {
				t.Errorf("an alert from alertprof's own namespace reaches %q, want %s among them", got, alertprof)
			}
			got := receivers(alert("shop"))
			if slices.Contains(got, alertprof) != tc.shop {
				t.Errorf("an alert about shop/api-0 reaches %q; want alertprof: %v\n%s", got, tc.shop, out)
			}
			if !slices.Contains(got, "shop-team") {
				t.Errorf("an alert about shop/api-0 reaches %q: the route must continue to the team's receiver", got)
			}
			if other := receivers(model.LabelSet{"alertname": "Watchdog", "namespace": "shop"}); slices.Contains(other, alertprof) {
				t.Errorf("an alert without alertprof_kind reaches %q", other)
			}
			t.Logf("%s, Alertmanager in %s: shop/api-0 reaches %q", tc.strategy, tc.amNS, got)
		})
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
