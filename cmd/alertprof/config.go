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

	// cliKube, set by `alertprof capture`, is the Kubernetes client
	// configuration its kubectl flags chose; nil is serve's rule.
	cliKube *cliKube `yaml:"-"`
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
	// DeltaSeconds is the window of the allocs, block and mutex profiles,
	// taken as their change over it: 0 follows cpu_seconds, -1 takes them
	// since the process started.
	DeltaSeconds int `yaml:"delta_seconds"`
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
	// BeforeKillWindow is how long before an OOM kill a capture of the
	// pod, or of its workload, may have been taken to lead the restart
	// alert's report; 0 turns the lookup off.
	BeforeKillWindow time.Duration `yaml:"before_kill_window"`
}

// beforeKillWindow is BeforeKillWindow for the handler, whose zero means
// its default: off is negative there.
func (r ReportConfig) beforeKillWindow() time.Duration {
	if r.BeforeKillWindow == 0 {
		return -1
	}
	return r.BeforeKillWindow
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
			MaxPerMinute:     300,
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
		Report:       ReportConfig{Top: 10, BeforeKillWindow: time.Hour, Baseline: defaultBaselineConfig()},
		UI:           defaultUIConfig(),
		Coordination: defaultCoordinationConfig(),
	}
}

// loadConfig reads path over the defaults (an empty path means defaults
// only), then the environment, then validates. Its error, a
// *configErrors, holds every problem at once, each at its line in the
// file: unknown keys, values of the wrong type, and each failed check.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	errs := &configErrors{file: path}
	var idx keyIndex
	if path != "" {
		b, err := readConfigFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		var problems []configProblem
		idx, problems = decodeConfigDoc(b, &cfg)
		if idx == nil { // a syntax error: nothing was decoded
			errs.problems = problems
			return Config{}, errs
		}
		errs.problems = problems
		for _, p := range problems {
			errs.errs = append(errs.errs, errors.New(p.msg))
		}
	}
	errs.add(loadSecrets(&cfg, getenv), idx)
	cfg.Slack.Token = getenv("SLACK_BOT_TOKEN")
	cfg.LinkKey = getenv("ALERTPROF_LINK_KEY")
	errs.add(cfg.Validate(), idx)
	if err := errs.orNil(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// maxConfigBytes bounds a configuration file.
const maxConfigBytes = 1 << 20

// readConfigFile reads path, at most maxConfigBytes of it.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigBytes)
	}
	return b, nil
}

// decodeConfig decodes YAML strictly: an unknown key, or a value of the
// wrong type, is an error naming it and its line, every one of them.
func decodeConfig(r io.Reader, cfg *Config) error {
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var errs []error
	_, problems := decodeConfigDoc(b, cfg)
	for _, p := range problems {
		if p.line > 0 {
			errs = append(errs, fmt.Errorf("line %d: %s", p.line, p.msg))
		} else {
			errs = append(errs, errors.New(p.msg))
		}
	}
	return errors.Join(errs...)
}

// Validate reports every setting that cannot work, in plain words: each
// check runs, and the errors are joined. A check about one key returns a
// keyError naming it, so that loadConfig can point at its line.
func (c Config) Validate() error {
	var errs []error
	check := func(bad bool, key, format string, args ...any) {
		if bad {
			errs = append(errs, keyErrorf(key, format, args...))
		}
	}
	check(c.Listen == "", "listen", "listen is empty")
	check(c.ShutdownTimeout <= 0, "shutdown_timeout", "shutdown_timeout must be positive")
	check(c.Webhook.MaxBodyBytes < 1024, "webhook.max_body_bytes", "webhook.max_body_bytes must be at least 1024")
	check(c.Webhook.MaxLabelBytes < 256, "webhook.max_label_bytes", "webhook.max_label_bytes must be at least 256")
	check(c.Capture.MaxConcurrent < 1, "capture.max_concurrent", "capture.max_concurrent must be at least 1")
	check(c.Capture.MaxPerMinute < 1, "capture.max_per_minute", "capture.max_per_minute must be at least 1")
	check(c.Webhook.MaxAlerts < 1, "webhook.max_alerts", "webhook.max_alerts must be at least 1")
	check(c.Webhook.QueueSize < 1, "webhook.queue_size", "webhook.queue_size must be at least 1")
	check(c.Webhook.Workers < 1, "webhook.workers", "webhook.workers must be at least 1")
	check(len(c.Capture.Profiles) == 0, "capture.profiles", "capture.profiles is empty")
	check(c.Capture.CPUSeconds < 1 || c.Capture.CPUSeconds > capture.MaxCPUSeconds, "capture.cpu_seconds",
		"capture.cpu_seconds must be between 1 and %d", capture.MaxCPUSeconds)
	check(c.Capture.TraceSeconds < 1 || c.Capture.TraceSeconds > capture.MaxTraceSeconds, "capture.trace_seconds",
		"capture.trace_seconds must be between 1 and %d", capture.MaxTraceSeconds)
	check(c.Capture.DeltaSeconds < -1 || c.Capture.DeltaSeconds > capture.MaxDeltaSeconds, "capture.delta_seconds",
		"capture.delta_seconds must be between 1 and %d, 0 (follow cpu_seconds) or -1 (since process start)", capture.MaxDeltaSeconds)
	check(c.Capture.MaxProfileBytes < 1024, "capture.max_profile_bytes", "capture.max_profile_bytes must be at least 1024")
	check(c.Capture.MaxDecodedBytes < 1024, "capture.max_decoded_bytes", "capture.max_decoded_bytes must be at least 1024")
	check(c.Capture.MaxTextBytes < 1024, "capture.max_text_bytes", "capture.max_text_bytes must be at least 1024")
	check(c.Capture.MaxTextLines < 100, "capture.max_text_lines", "capture.max_text_lines must be at least 100")
	check(c.Capture.MemoryBudgetBytes < 4<<20, "capture.memory_budget_bytes", "capture.memory_budget_bytes must be at least 4194304 (4 MiB)")
	check(c.Capture.Timeout <= 0, "capture.timeout", "capture.timeout must be positive")
	check(c.Capture.JobTimeout <= 0, "capture.job_timeout", "capture.job_timeout must be positive")
	// 0s used to become 15m without a word. No cooldown at all would
	// capture a pod again on every re-send of its group.
	check(c.Capture.Cooldown <= 0, "capture.cooldown",
		"capture.cooldown must be positive (got %s): it stops Alertmanager's re-sends from capturing a pod again; for short ones use e.g. 1m", c.Capture.Cooldown)
	check(c.Capture.MaxPodsPerAlert < 1, "capture.max_pods_per_alert", "capture.max_pods_per_alert must be at least 1")
	check(c.Store.Local.Dir == "", "store.local.dir", "store.local.dir is empty")
	check(c.Report.Top < 1, "report.top", "report.top must be at least 1")
	check(c.Report.BeforeKillWindow < 0, "report.before_kill_window",
		"report.before_kill_window must not be negative (got %s); 0 turns the lookup off", c.Report.BeforeKillWindow)

	// The sections' own checks: each reports its first problem.
	errs = append(errs,
		c.Slack.validate(),
		c.Webhook.Server.validate(),
		c.Store.validate(),
		c.UI.validate(),
		c.validateCoordination(),
		c.Report.Baseline.validate(),
	)
	// The plans are built from capture.profiles: when it is wrong, their
	// error would only repeat it.
	if _, err := capture.Plan(c.Capture.Profiles, c.Capture.CPUSeconds); err != nil {
		errs = append(errs, keyErrorf("capture.profiles", "capture.profiles: %v", err))
	} else if _, err := c.plans(); err != nil && len(c.Capture.Profiles) > 0 {
		errs = append(errs, err)
	}
	for i, cidr := range c.Capture.Static.AllowedCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs = append(errs, keyErrorf(fmt.Sprintf("capture.static.allowed_cidrs[%d]", i), "capture.static.allowed_cidrs: %q is not a CIDR", cidr))
		}
	}
	errs = append(errs, c.Capture.validateKubernetes())
	if _, err := newAccess(c.Capture); err != nil {
		errs = append(errs, err)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, keyErrorf("log.level", "log.level %q is not one of debug, info, warn, error", c.Log.Level))
	}
	check(c.Log.Format != "text" && c.Log.Format != "json", "log.format", "log.format %q is not text or json", c.Log.Format)
	return errors.Join(errs...)
}

// validateKubernetes checks capture.mode and capture.kubernetes, every
// check of them.
func (c CaptureConfig) validateKubernetes() error {
	k := c.Kubernetes
	var errs []error
	check := func(bad bool, key, format string, args ...any) {
		if bad {
			errs = append(errs, keyErrorf(key, format, args...))
		}
	}
	check(c.Mode != "auto" && c.Mode != "kubernetes" && c.Mode != "static", "capture.mode",
		"capture.mode %q is not auto, kubernetes or static", c.Mode)
	check(k.FetchMode != kube.FetchAuto && k.FetchMode != kube.FetchDirect && k.FetchMode != kube.FetchProxy, "capture.kubernetes.fetch_mode",
		"capture.kubernetes.fetch_mode %q is not auto, direct or proxy", k.FetchMode)
	check(k.DefaultPort < 0 || k.DefaultPort > 65535, "capture.kubernetes.default_port", "capture.kubernetes.default_port must be between 0 and 65535")
	check(!strings.HasPrefix(k.Path, "/"), "capture.kubernetes.path", "capture.kubernetes.path %q must start with /", k.Path)
	check(k.LogLines < 0 || k.LogLines > 10000, "capture.kubernetes.log_lines", "capture.kubernetes.log_lines must be between 0 and 10000")
	check(k.QPS <= 0, "capture.kubernetes.qps", "capture.kubernetes.qps and burst must be positive")
	check(k.Burst < 1, "capture.kubernetes.burst", "capture.kubernetes.qps and burst must be positive")
	check(k.Timeout <= 0, "capture.kubernetes.timeout", "capture.kubernetes.timeout must be positive")
	for _, l := range []struct {
		key      string
		patterns []string
	}{{"capture.kubernetes.namespaces.allow", k.Namespaces.Allow}, {"capture.kubernetes.namespaces.deny", k.Namespaces.Deny}} {
		for i, p := range l.patterns {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				errs = append(errs, keyErrorf(fmt.Sprintf("%s[%d]", l.key, i), "capture.kubernetes.namespaces: %q is not a valid pattern", p))
			}
		}
	}
	return errors.Join(errs...)
}
