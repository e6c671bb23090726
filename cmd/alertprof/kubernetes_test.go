package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
)

func TestKubernetesConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		err  string
	}{
		{"defaults", func(*Config) {}, ""},
		{"bad mode", func(c *Config) { c.Capture.Mode = "k8s" }, "capture.mode"},
		{"bad fetch mode", func(c *Config) { c.Capture.Kubernetes.FetchMode = "tunnel" }, "fetch_mode"},
		{"bad port", func(c *Config) { c.Capture.Kubernetes.DefaultPort = 70000 }, "default_port"},
		{"relative path", func(c *Config) { c.Capture.Kubernetes.Path = "debug" }, "path"},
		{"bad pattern", func(c *Config) { c.Capture.Kubernetes.Namespaces.Deny = []string{"["} }, "namespaces"},
		{"zero qps", func(c *Config) { c.Capture.Kubernetes.QPS = 0 }, "qps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestKubernetesConfigYAML(t *testing.T) {
	cfg := defaultConfig()
	y := "capture:\n  mode: kubernetes\n  kubernetes:\n    fetch_mode: proxy\n    namespaces: {allow: [shop], deny: [kube-system]}\n    log_lines: 10\n"
	if err := decodeConfig(strings.NewReader(y), &cfg); err != nil {
		t.Fatal(err)
	}
	k := cfg.Capture.Kubernetes
	if cfg.Capture.Mode != "kubernetes" || k.FetchMode != "proxy" || k.Namespaces.Allow[0] != "shop" || k.LogLines != 10 || k.DefaultPort != 6060 {
		t.Errorf("%+v", cfg.Capture)
	}
	if err := decodeConfig(strings.NewReader("capture:\n  kubernetes:\n    fetchmode: proxy\n"), &cfg); err == nil {
		t.Error("an unknown key was accepted")
	}
}

// TestTargetModes: auto falls back to static without a kubeconfig (the
// demo's case), kubernetes mode then refuses to start, and a kubeconfig
// selects Kubernetes resolution with proxy fetching.
func TestTargetModes(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }
	// Outside a cluster, even when the test itself runs in one.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	cfg := defaultConfig()
	r, _, err := newTargets(cfg, log, noEnv, nil, nil)
	if _, ok := r.(*capture.Static); err != nil || !ok {
		t.Errorf("auto without kubeconfig: %T %v, want *capture.Static", r, err)
	}
	cfg.Capture.Mode = "kubernetes"
	if _, _, err := newTargets(cfg, log, noEnv, nil, nil); err == nil {
		t.Error("kubernetes mode without a kubeconfig started")
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Capture.Mode = "auto"
	r, c, err := newTargets(cfg, log, func(k string) string {
		if k == "KUBECONFIG" {
			return kc
		}
		return ""
	}, nil, nil)
	if _, ok := r.(*kube.Resolver); err != nil || !ok {
		t.Fatalf("auto with KUBECONFIG: %T %v, want *kube.Resolver", r, err)
	}
	if _, ok := c.(*kube.Capturer); !ok {
		t.Errorf("capturer %T, want *kube.Capturer", c)
	}
}
