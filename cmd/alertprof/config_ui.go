package main

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report/webui"
)

// maxOpenProfilesLimit bounds ui.max_open_profiles: each open profile
// holds its decoded samples in memory.
const maxOpenProfilesLimit = 256

// UIConfig is pprof's web UI (flame graph, top, peek) for stored
// profiles, served under /ui/. Its links are signed with the link key and
// expire after store.link_expiry, like local artifact links; they are
// only put in reports when public_url is set.
type UIConfig struct {
	Enabled bool `yaml:"enabled"`
	// MaxOpenProfiles bounds the profiles held open at once; the least
	// recently used one is closed to open another.
	MaxOpenProfiles int `yaml:"max_open_profiles"`
}

func defaultUIConfig() UIConfig { return UIConfig{Enabled: true, MaxOpenProfiles: 8} }

func (c UIConfig) validate() error {
	if c.MaxOpenProfiles < 1 || c.MaxOpenProfiles > maxOpenProfilesLimit {
		return fmt.Errorf("config: ui.max_open_profiles must be between 1 and %d", maxOpenProfilesLimit)
	}
	return nil
}

// newProfileUI builds the pprof web UI over the artifact store, or
// returns nil when ui.enabled is false. Its links use the local store's
// link key (ALERTPROF_LINK_KEY, else the random key of this process).
func newProfileUI(cfg Config, built builtStore, gate capture.Gate, budget *capture.Budget, log *slog.Logger, reg prometheus.Registerer) (handler.ProfileUI, error) {
	if !cfg.UI.Enabled {
		return nil, nil
	}
	key := built.linkKey
	if len(key) == 0 {
		key = []byte(cfg.LinkKey)
	}
	if len(key) == 0 {
		var err error
		if key, err = store.NewLinkKey(); err != nil {
			return nil, err
		}
		if cfg.PublicURL != "" {
			log.Warn("ALERTPROF_LINK_KEY is not set: flame-graph links are signed with a random key and stop working when alertprof restarts")
		}
	}
	signer, err := store.NewSigner(key, cfg.Store.LinkExpiry, nil)
	if err != nil {
		return nil, err
	}
	var b webui.Budget
	if budget != nil {
		b = budget
	}
	ui, err := webui.New(built.store, signer, webui.Config{
		Budget:     b,
		BaseURL:    cfg.PublicURL,
		MaxOpen:    cfg.UI.MaxOpenProfiles,
		MaxBytes:   cfg.Capture.MaxProfileBytes,
		Gate:       gate,
		MaxDecoded: cfg.Capture.MaxDecodedBytes,
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		// Not fatal: alerts matter more than the browser view.
		log.Error("the pprof web UI is off", "error", err)
		return nil, nil
	}
	if cfg.PublicURL == "" {
		log.Info("public_url is not set: reports carry no flame-graph links (the pprof UI is still served under /ui/)")
	}
	return ui, nil
}
