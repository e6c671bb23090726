package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAccessAndServerConfig covers the keys of the capture token, the
// loopback rule, the listener bounds and the target access rules.
func TestAccessAndServerConfig(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("cap-file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, yaml string
		env        map[string]string
		wantErr    string
		check      func(Config) bool
	}{
		{name: "defaults: loopback only, no capture token", check: func(c Config) bool {
			return c.webhookAuth().LoopbackOnly && c.captureAuth().LoopbackOnly && c.CaptureToken == "" &&
				c.Webhook.Server.ReadHeaderTimeout == 10*time.Second && c.Webhook.Server.MaxHeaderBytes == 32<<10
		}},
		{name: "allow unauthenticated", yaml: "webhook:\n  allow_unauthenticated: true", check: func(c Config) bool {
			return !c.webhookAuth().LoopbackOnly && !c.captureAuth().LoopbackOnly
		}},
		{name: "capture token from env", env: map[string]string{"ALERTPROF_CAPTURE_TOKEN": "cap-env"}, check: func(c Config) bool { return c.captureAuth().BearerToken == "cap-env" }},
		{name: "capture token from file", yaml: "webhook:\n  capture_token_file: " + tokenFile, check: func(c Config) bool { return c.CaptureToken == "cap-file-token" }},
		{name: "capture token from both", yaml: "webhook:\n  capture_token_file: " + tokenFile, env: map[string]string{"ALERTPROF_CAPTURE_TOKEN": "x"}, wantErr: "use one"},
		{name: "timeouts", yaml: "webhook:\n  read_header_timeout: 1s\n  read_timeout: 2s\n  write_timeout: 3s\n  idle_timeout: 4s\n  max_header_bytes: 8192", check: func(c Config) bool {
			s := c.Webhook.Server
			return s.ReadHeaderTimeout == time.Second && s.ReadTimeout == 2*time.Second && s.WriteTimeout == 3*time.Second && s.IdleTimeout == 4*time.Second && s.MaxHeaderBytes == 8192
		}},
		{name: "zero timeout", yaml: "webhook:\n  idle_timeout: 0s", wantErr: "must be positive"},
		{name: "header timeout past read timeout", yaml: "webhook:\n  read_header_timeout: 1m\n  read_timeout: 30s", wantErr: "read_header_timeout"},
		{name: "tiny header limit", yaml: "webhook:\n  max_header_bytes: 100", wantErr: "max_header_bytes"},
		{name: "access rule", yaml: "capture:\n  access:\n    - namespaces: [payments]\n      bearer_token_file: " + tokenFile + "\n      tls: {server_name: pay.example}", check: func(c Config) bool {
			return len(c.Capture.Access) == 1 && c.Capture.Access[0].TLS.ServerName == "pay.example"
		}},
		{name: "access unknown key", yaml: "capture:\n  access:\n    - namespaces: [payments]\n      token: abc", wantErr: "token"},
		{name: "access bad cidr", yaml: "capture:\n  access:\n    - cidrs: [10.0.0.0/33]", wantErr: "capture.access[0].cidrs"},
		{name: "access missing file", yaml: "capture:\n  access:\n    - cidrs: [10.0.0.0/8]\n      bearer_token_file: " + filepath.Join(dir, "none"), wantErr: "bearer_token_file"},
		{name: "access matches nothing", yaml: "capture:\n  access:\n    - scheme: https", wantErr: "matches nothing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "cap-file-token") {
					t.Fatalf("error %q holds a secret", err)
				}
				return
			}
			if err != nil || !tc.check(cfg) {
				t.Fatalf("err %v; config %+v", err, cfg.Webhook)
			}
		})
	}
}
