package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWebhookSecrets(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	pwFile := filepath.Join(dir, "pw")
	empty := filepath.Join(dir, "empty")
	for path, body := range map[string]string{tokenFile: "file-token\n", pwFile: "file-pw", empty: "  \n"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, yaml string
		env        map[string]string
		wantErr    string
		check      func(Config) bool
	}{
		{name: "token from env", env: map[string]string{"ALERTPROF_WEBHOOK_TOKEN": "env-token"}, check: func(c Config) bool { return c.WebhookToken == "env-token" }},
		{name: "token from file", yaml: "webhook:\n  token_file: " + tokenFile, check: func(c Config) bool { return c.WebhookToken == "file-token" }},
		{name: "token from both", yaml: "webhook:\n  token_file: " + tokenFile, env: map[string]string{"ALERTPROF_WEBHOOK_TOKEN": "x"}, wantErr: "use one"},
		{name: "empty token file", yaml: "webhook:\n  token_file: " + empty, wantErr: "empty"},
		{name: "missing token file", yaml: "webhook:\n  token_file: " + filepath.Join(dir, "nope"), wantErr: "token_file"},
		{name: "basic auth from file", yaml: "webhook:\n  basic_auth:\n    username: am\n    password_file: " + pwFile, check: func(c Config) bool { return c.Webhook.BasicAuth.Password == "file-pw" }},
		{name: "basic auth from env", yaml: "webhook:\n  basic_auth:\n    username: am", env: map[string]string{"ALERTPROF_WEBHOOK_PASSWORD": "env-pw"}, check: func(c Config) bool { return c.Webhook.BasicAuth.Password == "env-pw" }},
		{name: "username without password", yaml: "webhook:\n  basic_auth:\n    username: am", wantErr: "no password"},
		{name: "password without username", env: map[string]string{"ALERTPROF_WEBHOOK_PASSWORD": "pw"}, wantErr: "username is empty"},
		{name: "tls half", yaml: "webhook:\n  tls:\n    cert_file: /x.pem", wantErr: "both cert_file and key_file"},
		{name: "slack without token", yaml: "slack:\n  channel: C1", wantErr: "SLACK_BOT_TOKEN"},
		{name: "slack token without channel", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb"}, wantErr: "slack.channel"},
		{name: "slack bad route", yaml: "slack:\n  channel: C1\n  routes:\n    - matchers: ['a=~\"((\"']\n      channel: C2", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb"}, wantErr: "slack.routes[0]"},
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
				for _, secret := range []string{"file-token", "file-pw", "env-pw", "env-token"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error %q holds a secret", err)
					}
				}
				return
			}
			if err != nil || !tc.check(cfg) {
				t.Fatalf("err %v; config %+v", err, cfg.Webhook)
			}
		})
	}
}

// TestServeTLS starts the receiver with a certificate and checks that it
// answers over HTTPS and not over plain HTTP.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Local.Dir = filepath.Join(dir, "data")
	cfg.Webhook.TLS = TLSConfig{CertFile: certFile, KeyFile: keyFile}
	cfg.WebhookToken = "tok"
	log := slog.New(slog.DiscardHandler)
	rc, err := newReceiver(cfg, log, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rc.serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("https: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("https healthz: %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP was served")
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "alertprof-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
