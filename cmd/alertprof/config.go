package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/alertprof/alertprof/capture"
)

// Config is every setting of alertprof, from one YAML file. Secrets never
// live here: they come from the environment.
type Config struct {
	// Listen is the address serve binds.
	Listen string `yaml:"listen"`
	// PublicURL is where people reach this receiver; artifact links are
	// built on it. Empty means links are file paths.
	PublicURL string `yaml:"public_url"`
	// ShutdownTimeout bounds the drain on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Log             LogConfig     `yaml:"log"`
	Webhook         WebhookConfig `yaml:"webhook"`
	Capture         CaptureConfig `yaml:"capture"`
	Store           StoreConfig   `yaml:"store"`
	Report          ReportConfig  `yaml:"report"`

	// WebhookToken comes from ALERTPROF_WEBHOOK_TOKEN, never from YAML.
	WebhookToken string `yaml:"-"`
}

// LogConfig sets the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// WebhookConfig bounds what one webhook request may carry and how much
// work may wait.
type WebhookConfig struct {
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	MaxAlerts    int   `yaml:"max_alerts"`
	QueueSize    int   `yaml:"queue_size"`
	Workers      int   `yaml:"workers"`
}

// CaptureConfig says what to fetch and how.
type CaptureConfig struct {
	Profiles        []string      `yaml:"profiles"`
	CPUSeconds      int           `yaml:"cpu_seconds"`
	MaxProfileBytes int64         `yaml:"max_profile_bytes"`
	Timeout         time.Duration `yaml:"timeout"`
	JobTimeout      time.Duration `yaml:"job_timeout"`
	Cooldown        time.Duration `yaml:"cooldown"`
	MaxPodsPerAlert int           `yaml:"max_pods_per_alert"`
	Static          StaticConfig  `yaml:"static"`
}

// StaticConfig governs targets named by address (no cluster).
type StaticConfig struct {
	AllowedCIDRs []string `yaml:"allowed_cidrs"`
	Path         string   `yaml:"path"`
}

// StoreConfig chooses where artifacts go.
type StoreConfig struct {
	Local LocalStoreConfig `yaml:"local"`
}

// LocalStoreConfig is the on-disk store.
type LocalStoreConfig struct {
	Dir string `yaml:"dir"`
}

// ReportConfig shapes the summary.
type ReportConfig struct {
	Top int `yaml:"top"`
}

// defaultConfig holds every default in one place.
func defaultConfig() Config {
	return Config{
		Listen:          ":9095",
		ShutdownTimeout: 30 * time.Second,
		Log:             LogConfig{Level: "info", Format: "text"},
		Webhook: WebhookConfig{
			MaxBodyBytes: 1 << 20,
			MaxAlerts:    1000,
			QueueSize:    64,
			Workers:      2,
		},
		Capture: CaptureConfig{
			Profiles:        []string{"heap", "goroutine", "cpu"},
			CPUSeconds:      10,
			MaxProfileBytes: capture.DefaultMaxBytes,
			Timeout:         30 * time.Second,
			JobTimeout:      3 * time.Minute,
			Cooldown:        15 * time.Minute,
			MaxPodsPerAlert: 3,
			Static: StaticConfig{
				AllowedCIDRs: append([]string(nil), capture.DefaultAllowedCIDRs...),
				Path:         "/debug/pprof",
			},
		},
		Store:  StoreConfig{Local: LocalStoreConfig{Dir: "./alertprof-data"}},
		Report: ReportConfig{Top: 10},
	}
}

// loadConfig reads path over the defaults (an empty path means defaults
// only), then the environment, then validates.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decodeConfig(io.LimitReader(f, 1<<20), &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	cfg.WebhookToken = getenv("ALERTPROF_WEBHOOK_TOKEN")
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decodeConfig decodes YAML strictly: an unknown key is an error naming it.
func decodeConfig(r io.Reader, cfg *Config) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate reports the first setting that cannot work, in plain words.
func (c Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("config: listen is empty")
	case c.ShutdownTimeout <= 0:
		return errors.New("config: shutdown_timeout must be positive")
	case c.Webhook.MaxBodyBytes < 1024:
		return errors.New("config: webhook.max_body_bytes must be at least 1024")
	case c.Webhook.MaxAlerts < 1:
		return errors.New("config: webhook.max_alerts must be at least 1")
	case c.Webhook.QueueSize < 1:
		return errors.New("config: webhook.queue_size must be at least 1")
	case c.Webhook.Workers < 1:
		return errors.New("config: webhook.workers must be at least 1")
	case len(c.Capture.Profiles) == 0:
		return errors.New("config: capture.profiles is empty")
	case c.Capture.CPUSeconds < 1 || c.Capture.CPUSeconds > capture.MaxCPUSeconds:
		return fmt.Errorf("config: capture.cpu_seconds must be between 1 and %d", capture.MaxCPUSeconds)
	case c.Capture.MaxProfileBytes < 1024:
		return errors.New("config: capture.max_profile_bytes must be at least 1024")
	case c.Capture.Timeout <= 0 || c.Capture.JobTimeout <= 0:
		return errors.New("config: capture.timeout and capture.job_timeout must be positive")
	case c.Capture.Cooldown < 0:
		return errors.New("config: capture.cooldown must not be negative")
	case c.Capture.MaxPodsPerAlert < 1:
		return errors.New("config: capture.max_pods_per_alert must be at least 1")
	case c.Store.Local.Dir == "":
		return errors.New("config: store.local.dir is empty")
	case c.Report.Top < 1:
		return errors.New("config: report.top must be at least 1")
	}
	if _, err := capture.Plan(c.Capture.Profiles, c.Capture.CPUSeconds); err != nil {
		return fmt.Errorf("config: capture.profiles: %w", err)
	}
	for _, cidr := range c.Capture.Static.AllowedCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("config: capture.static.allowed_cidrs: %q is not a CIDR", cidr)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log.level %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("config: log.format %q is not text or json", c.Log.Format)
	}
	return nil
}
