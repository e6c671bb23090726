package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// nowhere is an API server address where nothing listens.
const nowhere = "https://127.0.0.1:1"

// writeTwoContextKubeconfig writes a kubeconfig with two contexts and
// returns its path:
//   - staging, the current one: cluster "nowhere" (nothing listens), user
//     bob, namespace shop;
//   - prod: cluster "real" at server (or the given cluster), user alice
//     (or the given user), namespace other.
func writeTwoContextKubeconfig(t *testing.T, server string, real *clientcmdapi.Config) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: nowhere, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["bob"] = &clientcmdapi.AuthInfo{Token: "bob-token"}
	cfg.Clusters["real"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["alice"] = &clientcmdapi.AuthInfo{Token: "alice-token"}
	if real != nil { // a kubeconfig of the real cluster: its one cluster and user
		for _, c := range real.Clusters {
			cfg.Clusters["real"] = c
		}
		for _, u := range real.AuthInfos {
			cfg.AuthInfos["alice"] = u
		}
	}
	cfg.Contexts["staging"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: "bob", Namespace: "shop"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "real", AuthInfo: "alice", Namespace: "other"}
	cfg.CurrentContext = "staging"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadCLIKube: the kubectl flags choose the context, its cluster,
// user and namespace; -n wins over the context's namespace; --kubeconfig
// wins over $KUBECONFIG. (~/.kube/config is found at the process's start:
// TestCLIKubeconfigFromHome runs the binary for it.)
func TestLoadCLIKube(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // outside a cluster, even in one
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	kc := writeTwoContextKubeconfig(t, "https://127.0.0.1:2", nil)
	load := func(t *testing.T, args ...string) cliKube {
		t.Helper()
		ca, err := parseCaptureArgs(args, nil)
		if err != nil {
			t.Fatal(err)
		}
		k, err := loadCLIKube(ca.kube)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	t.Run("KUBECONFIG, current context", func(t *testing.T) {
		t.Setenv("KUBECONFIG", kc)
		t.Setenv("HOME", t.TempDir())
		k := load(t, "checkout-1")
		if k.rest.Host != nowhere || k.rest.BearerToken != "bob-token" || k.namespace != "shop" || k.inCluster {
			t.Errorf("host %s token %s namespace %s", k.rest.Host, k.rest.BearerToken, k.namespace)
		}
	})
	t.Run("--context", func(t *testing.T) {
		t.Setenv("KUBECONFIG", kc)
		k := load(t, "checkout-1", "--context", "prod")
		if k.rest.Host != "https://127.0.0.1:2" || k.rest.BearerToken != "alice-token" || k.namespace != "other" {
			t.Errorf("host %s token %s namespace %s", k.rest.Host, k.rest.BearerToken, k.namespace)
		}
		if k := load(t, "--context", "prod", "-n", "shop", "checkout-1"); k.namespace != "shop" {
			t.Errorf("-n did not win: %s", k.namespace)
		}
	})
	t.Run("--kubeconfig over KUBECONFIG", func(t *testing.T) {
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
		if k := load(t, "--kubeconfig", kc, "--context", "prod", "x"); k.rest.Host != "https://127.0.0.1:2" {
			t.Errorf("host %s", k.rest.Host)
		}
	})
	t.Run("unknown context", func(t *testing.T) {
		t.Setenv("KUBECONFIG", kc)
		ca, err := parseCaptureArgs([]string{"--context", "dev", "x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadCLIKube(ca.kube); err == nil {
			t.Fatal("an unknown context was accepted")
		}
	})
}

// TestCLIKubeconfigFromHome: without KUBECONFIG, capture reads
// ~/.kube/config (its contexts complete --context), and without any
// kubeconfig a pod capture says so instead of falling back to static
// targets.
func TestCLIKubeconfigFromHome(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(writeTwoContextKubeconfig(t, "https://127.0.0.1:2", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, out, errOut := runBinary(t, []string{"HOME=" + home}, "__complete", "capture", "--context", ""); !strings.HasPrefix(out, "prod\nstaging\n") {
		t.Errorf("contexts of ~/.kube/config: %s%s", out, errOut)
	}
	code, out, errOut := runBinary(t, nil, "capture", "-n", "shop", "checkout-1", "--out", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no kubeconfig") || !strings.Contains(errOut, "~/.kube/config") {
		t.Errorf("no kubeconfig: exit %d: %s%s", code, out, errOut)
	}
}
