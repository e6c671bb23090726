package main

import (
	"strings"
	"testing"
	"time"
)

// TestBaselineConfig: report.baseline's defaults, what it accepts and
// what it refuses, naming the key.
func TestBaselineConfig(t *testing.T) {
	def := defaultConfig().Report.Baseline
	if def.AfterResolve != 10*time.Minute || def.Interval != 0 || def.MaxWorkloads != 200 || strings.Join(def.Profiles, ",") != "heap,goroutine" {
		t.Fatalf("defaults: %+v", def)
	}
	hc, err := def.handlerConfig()
	if err != nil || len(hc.Plan) != 2 || hc.Plan[0].Name != "heap" || hc.AfterResolve != 10*time.Minute {
		t.Fatalf("handler config: %+v, %v", hc, err)
	}
	tests := []struct {
		name string
		edit func(*BaselineConfig)
		want string // "" accepts
	}{
		{"defaults", func(*BaselineConfig) {}, ""},
		{"both off", func(c *BaselineConfig) { c.AfterResolve, c.Interval = 0, 0 }, ""},
		{"slow schedule", func(c *BaselineConfig) { c.Interval = 6 * time.Hour }, ""},
		{"goroutine dumps", func(c *BaselineConfig) { c.Profiles = []string{"heap", "goroutines"} }, ""},
		{"negative delay", func(c *BaselineConfig) { c.AfterResolve = -time.Second }, "report.baseline.after_resolve"},
		{"delay too short", func(c *BaselineConfig) { c.AfterResolve = time.Millisecond }, "report.baseline.after_resolve"},
		{"interval too short", func(c *BaselineConfig) { c.Interval = 30 * time.Second }, "report.baseline.interval"},
		{"no workloads", func(c *BaselineConfig) { c.MaxWorkloads = 0 }, "report.baseline.max_workloads"},
		{"no profiles", func(c *BaselineConfig) { c.Profiles = nil }, "report.baseline.profiles is empty"},
		{"windowed profile", func(c *BaselineConfig) { c.Profiles = []string{"cpu"} }, `"cpu" is not one of`},
		{"listed twice", func(c *BaselineConfig) { c.Profiles = []string{"heap", "heap"} }, "listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			tc.edit(&cfg.Report.Baseline)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
