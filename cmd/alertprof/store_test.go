package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestStoreConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*StoreConfig)
		wantErr string // empty: valid
	}{
		{name: "defaults", mod: func(*StoreConfig) {}},
		{name: "s3", mod: func(c *StoreConfig) { c.S3.Endpoint, c.S3.Bucket = "minio:9000", "b" }},
		{name: "s3 without bucket", mod: func(c *StoreConfig) { c.S3.Endpoint = "minio:9000" }, wantErr: "both endpoint and bucket"},
		{name: "endpoint with scheme", mod: func(c *StoreConfig) { c.S3.Endpoint, c.S3.Bucket = "http://minio:9000", "b" }, wantErr: "host[:port]"},
		{name: "expiry past S3's limit", mod: func(c *StoreConfig) { c.LinkExpiry = 8 * 24 * time.Hour }, wantErr: "link_expiry"},
		{name: "zero expiry", mod: func(c *StoreConfig) { c.LinkExpiry = 0 }, wantErr: "link_expiry"},
		{name: "negative retention", mod: func(c *StoreConfig) { c.Local.Retention = -time.Hour }, wantErr: "retention"},
		{name: "tiny spool", mod: func(c *StoreConfig) { c.S3.Endpoint, c.S3.Bucket, c.Spool.MaxBytes = "m:9000", "b", 10 }, wantErr: "max_bytes"},
		{name: "public base url with query", mod: func(c *StoreConfig) {
			c.S3.Endpoint, c.S3.Bucket, c.S3.PublicBaseURL = "m:9000", "b", "https://x.example/?token=1"
		}, wantErr: "public_base_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig().Store
			tc.mod(&c)
			err := c.validate()
			if tc.wantErr == "" && err != nil {
				t.Fatalf("validate: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("validate: %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}

func TestStoreYAMLAndSecrets(t *testing.T) {
	cfg := defaultConfig()
	err := decodeConfig(strings.NewReader(`
store:
  link_expiry: 24h
  s3:
    endpoint: 127.0.0.1:9000
    bucket: prof
    tls: false
  spool:
    dir: /tmp/spool
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Store.useS3() || cfg.Store.S3.TLS || cfg.Store.LinkExpiry != 24*time.Hour || cfg.Store.S3.Region != "us-east-1" {
		t.Fatalf("decoded %+v", cfg.Store)
	}
	for _, key := range []string{"access_key", "secret_key", "secret_access_key"} {
		c := defaultConfig()
		if err := decodeConfig(strings.NewReader("store:\n  s3:\n    "+key+": x\n"), &c); err == nil {
			t.Errorf("store.s3.%s was accepted: credentials must come from the environment", key)
		}
	}
}

func TestNewStoreDefaultsToLocal(t *testing.T) {
	cfg := defaultConfig()
	cfg.Store.Local.Dir = t.TempDir()
	cfg.PublicURL = "http://127.0.0.1:9095"
	var logs strings.Builder
	b, err := newStore(cfg, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if b.artifacts == nil || !strings.Contains(b.store.Link("a/b"), "/artifacts/a/b?exp=") {
		t.Fatalf("default store is not the local one with signed links: %q", b.store.Link("a/b"))
	}
	if !strings.Contains(logs.String(), "ALERTPROF_LINK_KEY is not set") {
		t.Fatalf("no warning about the random link key:\n%s", logs.String())
	}
}
