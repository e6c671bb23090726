//go:build integration

package chart_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture/kubetest"
)

// testGeneratedTokenSurvives installs the chart for real (release "keep"
// in namespace keepNS), then renders it again the ways people do: helm
// upgrade keeps the generated webhook token, and two renders that can
// read the cluster (helm template --dry-run=server, as helm upgrade does)
// are identical and carry the installed token, checksum/secret included.
// A render that cannot read the cluster (plain helm template, what GitOps
// tools run) makes a new token each time: the README sends those users
// to existingSecret, whose renders are identical too.
func testGeneratedTokenSurvives(t *testing.T, c *kubetest.Cluster, admin kubernetes.Interface) {
	kubeconfig := adminKubeconfig(t, c)
	chart := chartCopyWithoutKubeVersion(t)
	helmOK := func(args ...string) string {
		t.Helper()
		out, err := helm(t, args...)
		if err != nil {
			t.Fatalf("helm %q: %v\n%s", args, err, out)
		}
		return out
	}
	helmOK("install", "keep", chart, "--namespace", keepNS, "--kubeconfig", kubeconfig)
	token := func() string {
		s, err := admin.CoreV1().Secrets(keepNS).Get(t.Context(), "keep-alertprof", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(s.Data["ALERTPROF_WEBHOOK_TOKEN"])
	}
	installed := token()
	if len(installed) < 32 {
		t.Fatalf("installed token %d bytes", len(installed))
	}

	helmOK("upgrade", "keep", chart, "--namespace", keepNS, "--kubeconfig", kubeconfig, "--set", "config.log.level=debug")
	if token() != installed {
		t.Errorf("helm upgrade changed the generated webhook token")
	}

	serverRender := func(extra ...string) string {
		return helmOK(append([]string{"template", "keep", chart, "--namespace", keepNS, "--dry-run=server", "--kubeconfig", kubeconfig}, extra...)...)
	}
	a, b := serverRender(), serverRender()
	if a != b {
		t.Errorf("two renders against the cluster differ:\n%s", lineDiff(a, b))
	}
	var sec corev1.Secret
	parseObjects(t, a).one(t, "Secret", &sec)
	if string(sec.Data["ALERTPROF_WEBHOOK_TOKEN"]) != installed {
		t.Errorf("the render against the cluster carries another token than the installed one")
	} else {
		t.Logf("two renders against the cluster are identical (%d bytes) and keep the installed token", len(a))
	}

	// Without the cluster every render makes a new token: the GitOps trap.
	offline := func(extra ...string) string {
		return helmOK(append([]string{"template", "keep", chart, "--namespace", keepNS}, extra...)...)
	}
	if x, y := offline(), offline(); x == y {
		t.Errorf("two offline renders are identical: the test no longer shows why GitOps needs existingSecret")
	}
	// existingSecret: no generated value anywhere, identical renders.
	x, y := offline("--set", "existingSecret=keep-alertprof"), offline("--set", "existingSecret=keep-alertprof")
	if x != y {
		t.Errorf("two renders with existingSecret differ:\n%s", lineDiff(x, y))
	}
	if n := len(parseObjects(t, x).ofKind("Secret")); n != 0 {
		t.Errorf("%d Secrets rendered with existingSecret", n)
	}
}

const keepNS = "keep"

// lineDiff lists the lines of a that b lacks and the reverse.
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ia, ib := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !ib[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ia[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
