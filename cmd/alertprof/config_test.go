package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"ALERTPROF_WEBHOOK_TOKEN": "tok"}
	getenv := func(k string) string { return env[k] }
	write := func(t *testing.T, body string) string {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Run("defaults without a file", func(t *testing.T) {
		cfg, err := loadConfig("", getenv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Listen != ":9095" || cfg.Capture.CPUSeconds != 10 || cfg.Capture.TraceSeconds != 5 || cfg.Capture.MaxProfileBytes != 64<<20 || cfg.Report.Top != 10 {
			t.Fatalf("defaults: %+v", cfg)
		}
		if cfg.WebhookToken != "tok" {
			t.Fatal("token not read from the environment")
		}
	})
	t.Run("file overrides defaults", func(t *testing.T) {
		cfg, err := loadConfig(write(t, "listen: 127.0.0.1:1234\ncapture:\n  cpu_seconds: 20\n  cooldown: 5m\n"), getenv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Listen != "127.0.0.1:1234" || cfg.Capture.CPUSeconds != 20 || cfg.Capture.Cooldown != 5*time.Minute || cfg.Capture.Timeout != 30*time.Second {
			t.Fatalf("got %+v", cfg)
		}
	})
	t.Run("trace window reaches the latency plan", func(t *testing.T) {
		cfg, err := loadConfig(write(t, "capture:\n  trace_seconds: 9\n"), getenv)
		if err != nil {
			t.Fatal(err)
		}
		plans, err := cfg.plans()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range plans[capture.KindLatency] {
			if p.Name == "trace" {
				found = p.Seconds == 9 && p.Query() == "seconds=9" && p.File() == "trace.out"
			}
		}
		if !found {
			t.Errorf("latency plan %+v has no 9 s trace", plans[capture.KindLatency])
		}
	})
	t.Run("delta window reaches the plans", func(t *testing.T) {
		for _, tc := range []struct {
			body   string
			want   int
			memory int // the memory plan has no CPU window: 0 follows its heap growth window
		}{
			{"capture:\n  cpu_seconds: 7\n", 7, 30}, // 0 follows the CPU window
			{"capture:\n  cpu_seconds: 7\n  heap_growth_window: 20s\n", 7, 20},
			{"capture:\n  cpu_seconds: 7\n  delta_seconds: 3\n", 3, 3},
			{"capture:\n  delta_seconds: -1\n", 0, 0}, // since process start
		} {
			cfg, err := loadConfig(write(t, tc.body), getenv)
			if err != nil {
				t.Fatal(err)
			}
			plans, err := cfg.plans()
			if err != nil {
				t.Fatal(err)
			}
			for kind, want := range map[string]int{capture.KindMemory: tc.memory, capture.KindLatency: tc.want} {
				for _, p := range plans[kind] {
					if p.Cumulative() && p.Seconds != want {
						t.Errorf("%q: %s plan's %s has %d s, want %d", tc.body, kind, p.Name, p.Seconds, want)
					}
				}
			}
			// On demand too, where a request's CPU window is the delta's
			// when the delta follows it.
			p, err := capture.ProfileFor("mutex", cfg.settings())
			if err != nil || p.Seconds != tc.want {
				t.Errorf("%q: on-demand mutex %+v (%v), want a %d s delta", tc.body, p, err, tc.want)
			}
		}
	})
	t.Run("empty file is defaults", func(t *testing.T) {
		if _, err := loadConfig(write(t, "\n"), getenv); err != nil {
			t.Fatal(err)
		}
	})
	bad := []struct{ name, body, want string }{
		{"unknown key", "capture:\n  cpu_secnds: 5\n", "cpu_secnds"},
		{"unknown top-level key", "slack_token: x\n", "slack_token"},
		{"cpu window over the cap", "capture:\n  cpu_seconds: 120\n", "cpu_seconds"},
		{"trace window over the cap", "capture:\n  trace_seconds: 61\n", "trace_seconds"},
		{"trace window zero", "capture:\n  trace_seconds: 0\n", "trace_seconds"},
		{"delta window over the cap", "capture:\n  delta_seconds: 61\n", "delta_seconds"},
		{"delta window below -1", "capture:\n  delta_seconds: -2\n", "delta_seconds"},
		{"unknown profile", "capture:\n  profiles: [heap, hep]\n", `"hep"`},
		{"bad cidr", "capture:\n  static:\n    allowed_cidrs: [10.0.0.0/33]\n", "10.0.0.0/33"},
		{"wrong type", "report:\n  top: ten\n", "ten"},
		{"bad duration", "capture:\n  timeout: soon\n", "soon"},
		{"bad log level", "log:\n  level: loud\n", "loud"},
		{"cooldown zero", "capture:\n  cooldown: 0s\n", "capture.cooldown must be positive"},
		{"cooldown negative", "capture:\n  cooldown: -1m\n", "capture.cooldown must be positive"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(write(t, tc.body), getenv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not name %q", err, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := loadConfig(filepath.Join(t.TempDir(), "nope.yaml"), getenv); err == nil {
			t.Fatal("no error for a missing file")
		}
	})
}
