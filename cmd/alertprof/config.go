package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/store"
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
	Slack           SlackConfig   `yaml:"slack"`
	UI              UIConfig      `yaml:"ui"`
	// Coordination shares the work between replicas through Leases.
	Coordination CoordinationConfig `yaml:"coordination"`

	// WebhookToken comes from ALERTPROF_WEBHOOK_TOKEN, never from YAML.
	WebhookToken string `yaml:"-"`
	// CaptureToken comes from ALERTPROF_CAPTURE_TOKEN or
	// webhook.capture_token_file.
	CaptureToken string `yaml:"-"`
	// LinkKey signs local artifact links; from ALERTPROF_LINK_KEY.
	LinkKey string `yaml:"-"`
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
	// MaxLabelBytes bounds one label or annotation value.
	MaxLabelBytes int `yaml:"max_label_bytes"`
	QueueSize     int `yaml:"queue_size"`
	Workers       int `yaml:"workers"`
	// TokenFile holds the bearer token; ALERTPROF_WEBHOOK_TOKEN is the
	// alternative.
	TokenFile string          `yaml:"token_file"`
	BasicAuth BasicAuthConfig `yaml:"basic_auth"`
	TLS       TLSConfig       `yaml:"tls"`
	// CaptureTokenFile holds the capture API's own bearer token;
	// ALERTPROF_CAPTURE_TOKEN is the alternative. Without one the capture
	// API takes the webhook's credentials.
	CaptureTokenFile string `yaml:"capture_token_file"`
	// AllowUnauthenticated lets clients that are not on loopback use an
	// endpoint that has no credentials configured.
	AllowUnauthenticated bool         `yaml:"allow_unauthenticated"`
	Server               ServerConfig `yaml:",inline"`
}

// CaptureConfig says what to fetch and how.
type CaptureConfig struct {
	// Profiles is the plan for alerts of no particular kind.
	Profiles []string `yaml:"profiles"`
	// Plans override the profiles captured per alert kind (memory,
	// latency, restart); see capture.DefaultPlans.
	Plans map[string][]string `yaml:"plans"`
	// HeapGrowthWindow separates the two heap snapshots of memory alerts.
	HeapGrowthWindow time.Duration `yaml:"heap_growth_window"`
	CPUSeconds       int           `yaml:"cpu_seconds"`
	MaxProfileBytes  int64         `yaml:"max_profile_bytes"`
	Timeout          time.Duration `yaml:"timeout"`
	JobTimeout       time.Duration `yaml:"job_timeout"`
	// Cooldown is how long after a capture a pod is not captured again
	// for an alert of the same kind; it must be positive.
	Cooldown        time.Duration `yaml:"cooldown"`
	MaxPodsPerAlert int           `yaml:"max_pods_per_alert"`
	// MaxConcurrent bounds captures running at once across all alerts;
	// MaxPerMinute bounds how many start per minute. Work over a limit
	// waits until its job's deadline.
	MaxConcurrent int `yaml:"max_concurrent"`
	MaxPerMinute  int `yaml:"max_per_minute"`
	// Mode chooses how alerts become targets: "kubernetes" (pods through
	// the API), "static" (instance=host:port inside allowed_cidrs), or
	// "auto": kubernetes when a kubeconfig or in-cluster config exists.
	Mode       string           `yaml:"mode"`
	Static     StaticConfig     `yaml:"static"`
	Kubernetes KubernetesConfig `yaml:"kubernetes"`

	// TraceSeconds is the execution trace window of latency alerts.
	TraceSeconds int `yaml:"trace_seconds"`
	// Access says how to reach targets behind authentication or TLS:
	// rules by namespace or CIDR, first match wins.
	Access []AccessConfig `yaml:"access"`

	// MaxDecodedBytes caps a pprof profile once decompressed;
	// MaxTextBytes and MaxTextLines cap a goroutine dump or a heap
	// profile in text. MemoryBudgetBytes is the memory that bodies in
	// flight and analyses share: each waits for its share, and one that
	// could never fit is reported too large (its raw artifact is kept).
	MaxDecodedBytes   int64 `yaml:"max_decoded_bytes"`
	MaxTextBytes      int64 `yaml:"max_text_bytes"`
	MaxTextLines      int64 `yaml:"max_text_lines"`
	MemoryBudgetBytes int64 `yaml:"memory_budget_bytes"`
}

// KubernetesConfig governs pod resolution and fetching in Kubernetes mode.
type KubernetesConfig struct {
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG, then the
	// in-cluster service account.
	Kubeconfig string `yaml:"kubeconfig"`
	// FetchMode is direct (pod IP), proxy (the API server's pods/proxy) or
	// auto (direct in-cluster, proxy with a kubeconfig).
	FetchMode string `yaml:"fetch_mode"`
	// DefaultPort is the pprof port of pods with no alertprof.io/port
	// annotation and no container port named pprof; 0 disables it.
	DefaultPort int `yaml:"default_port"`
	// Path is the pprof base path unless a pod's alertprof.io/path says.
	Path       string           `yaml:"path"`
	Namespaces NamespacesConfig `yaml:"namespaces"`
	// LogLines is how many lines of a restarted container's previous log
	// the report carries; 0 reads none.
	LogLines int `yaml:"log_lines"`
	// QPS, Burst and Timeout bound the client's API requests.
	QPS     float32       `yaml:"qps"`
	Burst   int           `yaml:"burst"`
	Timeout time.Duration `yaml:"timeout"`
}

// NamespacesConfig limits which namespaces are captured; entries are
// path.Match patterns. An empty allow list allows every namespace; deny
// wins over allow.
type NamespacesConfig struct {
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
}

// StaticConfig governs targets named by address (no cluster).
type StaticConfig struct {
	AllowedCIDRs []string `yaml:"allowed_cidrs"`
	Path         string   `yaml:"path"`
}

// StoreConfig chooses where artifacts go: S3 when s3.endpoint and
// s3.bucket are set, else the local directory. Checked by validateStore.
type StoreConfig struct {
	// LinkExpiry is how long artifact links stay valid, for presigned S3
	// URLs and signed local links alike; at most 168h (S3's limit).
	LinkExpiry time.Duration    `yaml:"link_expiry"`
	Local      LocalStoreConfig `yaml:"local"`
	S3         S3StoreConfig    `yaml:"s3"`
	Spool      SpoolConfig      `yaml:"spool"`
}

// S3StoreConfig is an S3 or MinIO bucket. Credentials never live here:
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or IAM and web identity.
type S3StoreConfig struct {
	Endpoint      string `yaml:"endpoint"` // host[:port], no scheme
	Region        string `yaml:"region"`
	Bucket        string `yaml:"bucket"`
	Prefix        string `yaml:"prefix"`
	TLS           bool   `yaml:"tls"`
	CreateBucket  bool   `yaml:"create_bucket"`
	PublicBaseURL string `yaml:"public_base_url"`
}

// SpoolConfig is where artifacts wait while the object store is down.
type SpoolConfig struct {
	Dir      string `yaml:"dir"`
	MaxBytes int64  `yaml:"max_bytes"`
}

// LocalStoreConfig is the on-disk store.
type LocalStoreConfig struct {
	Dir string `yaml:"dir"`
	// Retention removes incidents whose newest file is older; 0 keeps all.
	Retention time.Duration `yaml:"retention"`
}

// ReportConfig shapes the summary.
type ReportConfig struct {
	// Baseline keeps a healthy capture per workload to compare incidents
	// with.
	Baseline BaselineConfig `yaml:"baseline"`

	Top int `yaml:"top"`
}

// defaultConfig holds every default in one place.
func defaultConfig() Config {
	return Config{
		Listen:          ":9095",
		ShutdownTimeout: 30 * time.Second,
		Log:             LogConfig{Level: "info", Format: "text"},
		Webhook: WebhookConfig{
			MaxBodyBytes:  1 << 20,
			MaxAlerts:     1000,
			MaxLabelBytes: 8 << 10,
			QueueSize:     64,
			Workers:       2,
			Server:        defaultServerConfig(),
		},
		Capture: CaptureConfig{
			Profiles:         []string{"heap", "goroutine", "cpu"},
			HeapGrowthWindow: capture.DefaultHeapGrowthWindow,
			CPUSeconds:       10,
			TraceSeconds:     capture.DefaultTraceSeconds,
			MaxProfileBytes:  capture.DefaultMaxBytes,
			Timeout:          30 * time.Second,
			JobTimeout:       3 * time.Minute,
			Cooldown:         15 * time.Minute,
			MaxPodsPerAlert:  3,
			MaxConcurrent:    4,
			MaxPerMinute:     60,
			Mode:             "auto",
			Static: StaticConfig{
				AllowedCIDRs: append([]string(nil), capture.DefaultAllowedCIDRs...),
				Path:         "/debug/pprof",
			},
			Kubernetes: KubernetesConfig{
				FetchMode:   kube.FetchAuto,
				DefaultPort: kube.DefaultPort,
				Path:        "/debug/pprof",
				LogLines:    kube.DefaultLogLines,
				QPS:         20,
				Burst:       40,
				Timeout:     10 * time.Second,
			},
			MaxDecodedBytes:   capture.DefaultMaxDecodedBytes,
			MaxTextBytes:      format.DefaultMaxText,
			MaxTextLines:      format.DefaultMaxLines,
			MemoryBudgetBytes: capture.DefaultBudget,
		},
		Store: StoreConfig{
			LinkExpiry: store.MaxLinkExpiry,
			Local:      LocalStoreConfig{Dir: "./alertprof-data"},
			S3:         S3StoreConfig{Region: "us-east-1", TLS: true},
			Spool:      SpoolConfig{Dir: "./alertprof-spool", MaxBytes: 256 << 20},
		},
		Report:       ReportConfig{Top: 10, Baseline: defaultBaselineConfig()},
		UI:           defaultUIConfig(),
		Coordination: defaultCoordinationConfig(),
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
	if err := loadSecrets(&cfg, getenv); err != nil {
		return Config{}, err
	}
	cfg.Slack.Token = getenv("SLACK_BOT_TOKEN")
	cfg.LinkKey = getenv("ALERTPROF_LINK_KEY")
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
	if err := c.Slack.validate(); err != nil {
		return err
	}
	switch {
	case c.Listen == "":
		return errors.New("config: listen is empty")
	case c.ShutdownTimeout <= 0:
		return errors.New("config: shutdown_timeout must be positive")
	case c.Webhook.MaxBodyBytes < 1024:
		return errors.New("config: webhook.max_body_bytes must be at least 1024")
	case c.Webhook.MaxLabelBytes < 256:
		return errors.New("config: webhook.max_label_bytes must be at least 256")
	case c.Capture.MaxConcurrent < 1 || c.Capture.MaxPerMinute < 1:
		return errors.New("config: capture.max_concurrent and capture.max_per_minute must be at least 1")
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
	case c.Capture.TraceSeconds < 1 || c.Capture.TraceSeconds > capture.MaxTraceSeconds:
		return fmt.Errorf("config: capture.trace_seconds must be between 1 and %d", capture.MaxTraceSeconds)
	case c.Capture.MaxProfileBytes < 1024:
		return errors.New("config: capture.max_profile_bytes must be at least 1024")
	case c.Capture.MaxDecodedBytes < 1024 || c.Capture.MaxTextBytes < 1024:
		return errors.New("config: capture.max_decoded_bytes and capture.max_text_bytes must be at least 1024")
	case c.Capture.MaxTextLines < 100:
		return errors.New("config: capture.max_text_lines must be at least 100")
	case c.Capture.MemoryBudgetBytes < 4<<20:
		return errors.New("config: capture.memory_budget_bytes must be at least 4194304 (4 MiB)")
	case c.Capture.Timeout <= 0 || c.Capture.JobTimeout <= 0:
		return errors.New("config: capture.timeout and capture.job_timeout must be positive")
	case c.Capture.Cooldown <= 0:
		// 0s used to become 15m without a word. No cooldown at all would
		// capture a pod again on every re-send of its group.
		return fmt.Errorf("config: capture.cooldown must be positive (got %s): it stops Alertmanager's re-sends from capturing a pod again; for short ones use e.g. 1m", c.Capture.Cooldown)
	case c.Capture.MaxPodsPerAlert < 1:
		return errors.New("config: capture.max_pods_per_alert must be at least 1")
	case c.Store.Local.Dir == "":
		return errors.New("config: store.local.dir is empty")
	case c.Report.Top < 1:
		return errors.New("config: report.top must be at least 1")
	}
	if err := c.Webhook.Server.validate(); err != nil {
		return err
	}
	if err := c.Store.validate(); err != nil {
		return err
	}
	if err := c.UI.validate(); err != nil {
		return err
	}
	if err := c.Report.Baseline.validate(); err != nil {
		return err
	}
	if err := c.validateCoordination(); err != nil {
		return err
	}
	if _, err := capture.Plan(c.Capture.Profiles, c.Capture.CPUSeconds); err != nil {
		return fmt.Errorf("config: capture.profiles: %w", err)
	}
	if _, err := c.plans(); err != nil {
		return err
	}
	for _, cidr := range c.Capture.Static.AllowedCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("config: capture.static.allowed_cidrs: %q is not a CIDR", cidr)
		}
	}
	if err := c.Capture.validateKubernetes(); err != nil {
		return err
	}
	if _, err := newAccess(c.Capture); err != nil {
		return err
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

// validateKubernetes checks capture.mode and capture.kubernetes.
func (c CaptureConfig) validateKubernetes() error {
	k := c.Kubernetes
	switch {
	case c.Mode != "auto" && c.Mode != "kubernetes" && c.Mode != "static":
		return fmt.Errorf("config: capture.mode %q is not auto, kubernetes or static", c.Mode)
	case k.FetchMode != kube.FetchAuto && k.FetchMode != kube.FetchDirect && k.FetchMode != kube.FetchProxy:
		return fmt.Errorf("config: capture.kubernetes.fetch_mode %q is not auto, direct or proxy", k.FetchMode)
	case k.DefaultPort < 0 || k.DefaultPort > 65535:
		return errors.New("config: capture.kubernetes.default_port must be between 0 and 65535")
	case !strings.HasPrefix(k.Path, "/"):
		return fmt.Errorf("config: capture.kubernetes.path %q must start with /", k.Path)
	case k.LogLines < 0 || k.LogLines > 10000:
		return errors.New("config: capture.kubernetes.log_lines must be between 0 and 10000")
	case k.QPS <= 0 || k.Burst < 1:
		return errors.New("config: capture.kubernetes.qps and burst must be positive")
	case k.Timeout <= 0:
		return errors.New("config: capture.kubernetes.timeout must be positive")
	}
	for _, list := range [][]string{k.Namespaces.Allow, k.Namespaces.Deny} {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				return fmt.Errorf("config: capture.kubernetes.namespaces: %q is not a valid pattern", p)
			}
		}
	}
	return nil
}
