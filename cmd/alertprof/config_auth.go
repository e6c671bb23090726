package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alertprof/alertprof/handler"
)

// BasicAuthConfig lets Alertmanager authenticate with http_config.basic_auth.
type BasicAuthConfig struct {
	Username string `yaml:"username"`
	// PasswordFile holds the password; ALERTPROF_WEBHOOK_PASSWORD is the
	// alternative. The password itself never lives in the file.
	PasswordFile string `yaml:"password_file"`

	Password string `yaml:"-"`
}

// TLSConfig makes serve speak HTTPS.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

func (t TLSConfig) enabled() bool { return t.CertFile != "" }

// loadSecrets fills the webhook's and the capture API's credentials from the environment or
// from files: exactly one source per secret.
func loadSecrets(cfg *Config, getenv func(string) string) error {
	tok, err := secret("ALERTPROF_WEBHOOK_TOKEN", getenv, cfg.Webhook.TokenFile, "webhook.token_file")
	if err != nil {
		return err
	}
	cfg.WebhookToken = tok
	pw, err := secret("ALERTPROF_WEBHOOK_PASSWORD", getenv, cfg.Webhook.BasicAuth.PasswordFile, "webhook.basic_auth.password_file")
	if err != nil {
		return err
	}
	cfg.Webhook.BasicAuth.Password = pw
	ct, err := secret("ALERTPROF_CAPTURE_TOKEN", getenv, cfg.Webhook.CaptureTokenFile, "webhook.capture_token_file")
	if err != nil {
		return err
	}
	cfg.CaptureToken = ct
	switch {
	case cfg.Webhook.BasicAuth.Username != "" && pw == "":
		return errors.New("config: webhook.basic_auth.username is set but no password (ALERTPROF_WEBHOOK_PASSWORD or webhook.basic_auth.password_file)")
	case cfg.Webhook.BasicAuth.Username == "" && pw != "":
		return errors.New("config: a webhook password is set but webhook.basic_auth.username is empty")
	}
	if (cfg.Webhook.TLS.CertFile == "") != (cfg.Webhook.TLS.KeyFile == "") {
		return errors.New("config: webhook.tls needs both cert_file and key_file")
	}
	return nil
}

// secret reads one secret from env or from file. The error never holds
// the secret.
func secret(env string, getenv func(string) string, file, key string) (string, error) {
	v := getenv(env)
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("config: both %s and %s are set; use one", env, key)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", key, err)
	}
	v = strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("config: %s: the file is empty", key)
	}
	return v, nil
}

// webhookAuth is what the webhook requires.
func (c Config) webhookAuth() handler.Auth {
	return handler.Auth{BearerToken: c.WebhookToken, Username: c.Webhook.BasicAuth.Username,
		Password: c.Webhook.BasicAuth.Password, LoopbackOnly: !c.Webhook.AllowUnauthenticated}
}

// captureAuth is what the capture API requires: its own token, else the
// webhook's credentials (handler.Config.CaptureAuth).
func (c Config) captureAuth() handler.Auth {
	return handler.Auth{BearerToken: c.CaptureToken, LoopbackOnly: !c.Webhook.AllowUnauthenticated}
}
