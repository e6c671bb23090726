package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
)

func TestConfigLimits(t *testing.T) {
	load := func(t *testing.T, body string) (Config, error) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(path, func(string) string { return "" })
	}
	cfg, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Capture
	if c.MaxDecodedBytes != capture.DefaultMaxDecodedBytes || c.MemoryBudgetBytes != capture.DefaultBudget ||
		c.MaxTextBytes != format.DefaultMaxText || c.MaxTextLines != format.DefaultMaxLines {
		t.Errorf("defaults: %+v", c)
	}
	// One profile at the default decoded cap fits in the default budget
	// when its tables are a twentieth of it, as in real heap profiles
	// (TestServeSummarizesALargeHeapInASmallPod sees a 68 MB one fit).
	tables := c.MaxDecodedBytes / 20
	if cost := format.StreamCost(c.MaxDecodedBytes-tables, tables); cost > c.MemoryBudgetBytes {
		t.Errorf("a profile at max_decoded_bytes costs %d, more than the %d budget", cost, c.MemoryBudgetBytes)
	}
	cfg, err = load(t, "capture:\n  max_decoded_bytes: 1048576\n  max_text_lines: 5000\n  memory_budget_bytes: 33554432\n")
	if err != nil || cfg.Capture.MaxDecodedBytes != 1<<20 || cfg.Capture.MaxTextLines != 5000 || cfg.Capture.MemoryBudgetBytes != 32<<20 {
		t.Fatalf("overrides: %+v, %v", cfg.Capture, err)
	}
	for body, key := range map[string]string{
		"capture:\n  max_decoded_bytes: 10\n":  "capture.max_decoded_bytes",
		"capture:\n  max_text_bytes: 10\n":     "capture.max_text_bytes",
		"capture:\n  max_text_lines: 1\n":      "capture.max_text_lines",
		"capture:\n  memory_budget_bytes: 1\n": "capture.memory_budget_bytes",
		"capture:\n  memory_budget_byte: 1\n":  "memory_budget_byte",
	} {
		if _, err := load(t, body); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err %v, want one naming %s", body, err, key)
		}
	}
}
