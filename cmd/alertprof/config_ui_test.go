package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

func TestUIConfig(t *testing.T) {
	getenv := func(string) string { return "" }
	load := func(t *testing.T, body string) (Config, error) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(path, getenv)
	}
	cfg, err := load(t, "\n")
	if err != nil || !cfg.UI.Enabled || cfg.UI.MaxOpenProfiles != 8 {
		t.Fatalf("defaults: %+v %v", cfg.UI, err)
	}
	cfg, err = load(t, "ui:\n  enabled: false\n  max_open_profiles: 2\n")
	if err != nil || cfg.UI.Enabled || cfg.UI.MaxOpenProfiles != 2 {
		t.Fatalf("ui section: %+v %v", cfg.UI, err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"unknown key", "ui:\n  max_open: 3\n", "max_open"},
		{"zero profiles", "ui:\n  max_open_profiles: 0\n", "ui.max_open_profiles"},
		{"too many profiles", "ui:\n  max_open_profiles: 100000\n", "ui.max_open_profiles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(t, tc.body); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not name %q", err, tc.want)
			}
		})
	}
}

func TestNewProfileUI(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	const key = "incidents/2026/11/23/i/static/h/heap.pb.gz"
	for _, tc := range []struct {
		name, publicURL string
		enabled         bool
		wantUI          bool
		wantPrefix      string
	}{
		{"disabled", "http://alertprof.example", false, false, ""},
		{"no public url", "", true, true, ""},
		{"public url", "http://alertprof.example/", true, true, "http://alertprof.example/ui/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.PublicURL, cfg.UI.Enabled = tc.publicURL, tc.enabled
			cfg.Store.Local.Dir = t.TempDir()
			store, err := newStore(cfg, log, nil)
			if err != nil {
				t.Fatal(err)
			}
			ui, err := newProfileUI(cfg, store, capture.NewGate(1), nil, log, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (ui != nil) != tc.wantUI {
				t.Fatalf("UI built: %v, want %v", ui != nil, tc.wantUI)
			}
			if ui == nil {
				return
			}
			link := ui.Link(key)
			if tc.wantPrefix == "" && link != "" || !strings.HasPrefix(link, tc.wantPrefix) {
				t.Fatalf("link %q, want prefix %q", link, tc.wantPrefix)
			}
			if ui.Link(strings.TrimSuffix(key, ".pb.gz")+".txt") != "" {
				t.Fatal("a text artifact got a link")
			}
		})
	}
}
