//go:build integration

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
)

// countingPprof is a real net/http/pprof server on 127.0.0.1 that counts
// the requests it serves.
type countingPprof struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func startCountingPprof(t *testing.T) *countingPprof {
	t.Helper()
	p := &countingPprof{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *countingPprof) port() int { return p.srv.Listener.Addr().(*net.TCPAddr).Port }

// TestCaptureKubectlFlags runs `alertprof capture` against a real
// kube-apiserver with a kubeconfig of two contexts: staging, the current
// one, whose cluster is nowhere (namespace shop), and prod, the real one
// (namespace other). A pod checkout-1 runs in shop and in other, each
// served by its own pprof server, so the server that answers tells which
// pod was captured.
func TestCaptureKubectlFlags(t *testing.T) {
	c := kubetest.StartT(t, kubetest.Options{Tokens: []kubetest.Token{
		{Token: "alice-token", User: "alice", UID: "alice", Groups: []string{"system:masters"}},
	}})
	admin := kubetest.Client(t, c.Admin)
	ctx := t.Context()
	servers := map[string]*countingPprof{}
	for i, ns := range []string{"shop", "other"} {
		if err := kubetest.CreateNamespace(ctx, admin, ns); err != nil {
			t.Fatal(err)
		}
		p := startCountingPprof(t)
		servers[ns] = p
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "checkout-1", Annotations: map[string]string{kube.AnnotationPort: strconv.Itoa(p.port())}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/checkout:1"}}},
		}
		if _, err := kubetest.RunPod(ctx, admin, pod, kubetest.FakeIP(31+i), nil); err != nil {
			t.Fatal(err)
		}
	}
	realPath, err := c.WriteKubeconfig("alice-token")
	if err != nil {
		t.Fatal(err)
	}
	real, err := clientcmd.LoadFromFile(realPath)
	if err != nil {
		t.Fatal(err)
	}
	kc := writeTwoContextKubeconfig(t, "", real)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), b, 0o600); err != nil {
		t.Fatal(err)
	}

	capture := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command(binary, append([]string{"capture", "--profiles", "goroutine", "--format", "json", "--out", t.TempDir()}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		return cmd
	}
	withKubeconfig := []string{"KUBECONFIG=" + kc, "HOME=" + t.TempDir()}
	cases := []struct {
		name   string
		env    []string
		args   []string
		target string // the pod captured: its namespace
	}{
		{"--context and -n", withKubeconfig, []string{"--context", "prod", "-n", "shop", "checkout-1"}, "shop"},
		{"the context's namespace, flags after the pod", withKubeconfig, []string{"checkout-1", "--context", "prod"}, "other"},
		{"NS/POD", withKubeconfig, []string{"--context=prod", "shop/checkout-1"}, "shop"},
		{"~/.kube/config without KUBECONFIG", []string{"HOME=" + home}, []string{"-n", "shop", "--context", "prod", "checkout-1"}, "shop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]int64{"shop": servers["shop"].hits.Load(), "other": servers["other"].hits.Load()}
			st := runCaptureJSON(t, "capture "+strings.Join(tc.args, " "), capture(tc.env, tc.args...))
			pr := st.Pods[0]
			if want := tc.target + "/checkout-1"; pr.Target != want || pr.Problem != "" || len(pr.Profiles) != 1 || pr.Profiles[0].Error != "" {
				t.Fatalf("captured %s (problem %q, profiles %+v), want %s", pr.Target, pr.Problem, pr.Profiles, want)
			}
			for ns, p := range servers {
				hit := p.hits.Load() > before[ns]
				if hit != (ns == tc.target) {
					t.Errorf("the pprof server of %s/checkout-1 was asked: %v", ns, hit)
				}
			}
		})
	}

	// The current context, staging, points nowhere: without --context the
	// capture fails, and no pod is asked.
	before := servers["shop"].hits.Load() + servers["other"].hits.Load()
	out, err := capture(withKubeconfig, "-n", "shop", "checkout-1").CombinedOutput()
	if err == nil {
		t.Fatalf("a capture through the staging context, whose cluster is nowhere, succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "127.0.0.1:1") {
		t.Errorf("the error does not name the staging cluster:\n%s", out)
	}
	if after := servers["shop"].hits.Load() + servers["other"].hits.Load(); after != before {
		t.Errorf("a pod was asked through the wrong context (%d requests)", after-before)
	}
}
