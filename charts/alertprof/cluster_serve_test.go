//go:build integration

package chart_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// runServe writes the rendered ConfigMap's config to a file and runs
// `alertprof serve --config FILE` with the Secret's values as its
// environment, and the Deployment's downward-API variables (POD_NAME,
// POD_NAMESPACE: a pod name and the release namespace), as the pod does,
// until /healthz answers; alertprof's own strict decoder and validation
// judge the config. Only the store and
// spool directories (the pod's emptyDir mounts) are moved to a temporary
// directory; every key stays as rendered. It returns an error when
// alertprof exits before it is up.
func runServe(t *testing.T, bin, kubeconfig string, objs objects) error {
	t.Helper()
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	var sec corev1.Secret
	objs.one(t, "Secret", &sec)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &doc); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, p := range [][]string{{"store", "local", "dir"}, {"store", "spool", "dir"}} {
		n := lookupNode(doc.Content[0], p...)
		if n == nil {
			t.Fatalf("config has no %s", strings.Join(p, "."))
		}
		n.Value = filepath.Join(tmp, p[1])
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "serve", "--config", cfgFile, "--listen", "127.0.0.1:"+strconv.Itoa(port), "--kubeconfig", kubeconfig)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp}
	for k, v := range sec.Data {
		cmd.Env = append(cmd.Env, k+"="+string(v))
	}
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
			continue
		}
		switch f := e.ValueFrom.FieldRef.FieldPath; f {
		case "metadata.name":
			cmd.Env = append(cmd.Env, e.Name+"="+dep.Name+"-serve-test")
		case "metadata.namespace":
			cmd.Env = append(cmd.Env, e.Name+"="+releaseNS)
		default:
			t.Fatalf("env %s from %s: runServe knows no value for it", e.Name, f)
		}
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if exited {
			return
		}
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("alertprof serve did not stop cleanly: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("alertprof serve did not stop on SIGINT\n%s", logs.String())
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			exited = true
			return fmt.Errorf("alertprof serve exited (%v) with the rendered config:\n%s\n--- config ---\n%s", err, logs.String(), b)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("alertprof serve is up with the rendered config (/healthz 200)")
				checkWebhookToken(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/alerts", port), string(sec.Data["ALERTPROF_WEBHOOK_TOKEN"]))
				return nil
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertprof serve never answered /healthz\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// quickStartAlert is the test alert of the README's Helm quick-start.
const quickStartAlert = `{"version":"4","status":"firing","receiver":"alertprof",
 "groupKey":"{}:{alertname=\"AlertprofQuickStart\"}","groupLabels":{"alertname":"AlertprofQuickStart"},
 "alerts":[{"status":"firing","labels":{"alertname":"AlertprofQuickStart","alertprof_kind":"memory","namespace":"default","pod":"my-app-0"},
  "startsAt":"2026-01-01T00:00:00Z"}]}`

// checkWebhookToken: the Secret's token reached alertprof through the
// environment: the webhook refuses the test alert without it and takes
// it with it.
func checkWebhookToken(t *testing.T, url, token string) {
	t.Helper()
	if token == "" {
		t.Fatal("the Secret has no ALERTPROF_WEBHOOK_TOKEN")
	}
	for _, tc := range []struct {
		auth string
		ok   bool
	}{{"", false}, {"Bearer wrong", false}, {"Bearer " + token, true}} {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(quickStartAlert))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ok := resp.StatusCode/100 == 2; ok != tc.ok || (!tc.ok && resp.StatusCode != http.StatusUnauthorized) {
			t.Errorf("POST the test alert (with token: %v): %s", tc.ok, resp.Status)
		} else {
			t.Logf("POST the test alert (with token: %v): %s", tc.ok, resp.Status)
		}
	}
}

func lookupNode(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
