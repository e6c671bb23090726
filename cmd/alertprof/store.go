package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/version"

	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/capture/store/s3"
	"github.com/alertprof/alertprof/capture/store/spool"
	"github.com/alertprof/alertprof/handler"
)

// useS3 reports whether artifacts go to an object store.
func (c StoreConfig) useS3() bool { return c.S3.Endpoint != "" || c.S3.Bucket != "" }

// validate checks the store section.
func (c StoreConfig) validate() error {
	switch {
	case c.LinkExpiry < time.Second || c.LinkExpiry > store.MaxLinkExpiry:
		return fmt.Errorf("config: store.link_expiry must be between 1s and %s (S3's limit)", store.MaxLinkExpiry)
	case c.Local.Retention < 0:
		return errors.New("config: store.local.retention must not be negative")
	case !c.useS3() && c.Local.Dir == "":
		return errors.New("config: store.local.dir is empty")
	case !c.useS3():
		return nil
	case c.S3.Endpoint == "" || c.S3.Bucket == "":
		return errors.New("config: store.s3 needs both endpoint and bucket")
	case strings.Contains(c.S3.Endpoint, "/"):
		return fmt.Errorf("config: store.s3.endpoint %q must be host[:port], without scheme or path (use store.s3.tls)", c.S3.Endpoint)
	case c.Spool.Dir == "":
		return errors.New("config: store.spool.dir is empty")
	case c.Spool.MaxBytes < 1<<20:
		return errors.New("config: store.spool.max_bytes must be at least 1048576")
	}
	if c.S3.PublicBaseURL != "" {
		u, err := url.Parse(c.S3.PublicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("config: store.s3.public_base_url %q is not an http(s) URL without a query", c.S3.PublicBaseURL)
		}
	}
	return nil
}

// builtStore is the artifact store and what runs beside it.
type builtStore struct {
	store     handler.Store
	spool     *spool.Store            // the S3 store's spool; nil for the local store
	artifacts http.Handler            // serves /artifacts/; nil for S3
	run       []func(context.Context) // background loops: spool upload, retention
	linkKey   []byte                  // signs local links; nil for S3
	describe  string                  // for the startup log line
}

// newStore builds the store cfg asks for: S3 through a local spool, or the
// local directory.
func newStore(cfg Config, log *slog.Logger, reg prometheus.Registerer) (builtStore, error) {
	sc := cfg.Store
	if !sc.useS3() {
		return newLocalStore(cfg, log)
	}
	remote, err := s3.New(s3.Config{
		Endpoint:      sc.S3.Endpoint,
		Region:        sc.S3.Region,
		Bucket:        sc.S3.Bucket,
		Prefix:        sc.S3.Prefix,
		TLS:           sc.S3.TLS,
		LinkExpiry:    sc.LinkExpiry,
		PublicBaseURL: sc.S3.PublicBaseURL,
		AppVersion:    version.Version,
	})
	if err != nil {
		return builtStore{}, err
	}
	sp, dropped, err := spool.Open(sc.Spool.Dir, sc.Spool.MaxBytes)
	if err != nil {
		return builtStore{}, err
	}
	st := spool.NewStore(remote, sp, dropped, log, reg)
	b := builtStore{
		store:    st,
		spool:    st,
		run:      []func(context.Context){func(ctx context.Context) { st.Run(ctx, time.Second, time.Minute) }},
		describe: "s3://" + sc.S3.Bucket + "/" + sc.S3.Prefix + " at " + sc.S3.Endpoint,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ensure := func(ctx context.Context) error { return remote.EnsureBucket(ctx, sc.S3.CreateBucket) }
	switch err := ensure(ctx); {
	case errors.Is(err, store.ErrPermanent):
		// Retrying cannot heal this: /readyz fails with the reason until
		// a person fixes it, which a check every minute notices.
		st.SetHealth(err)
		log.Error("object store refuses alertprof: not ready until this is fixed; artifacts wait in the spool",
			"bucket", sc.S3.Bucket, "error", err)
		b.run = append(b.run, func(ctx context.Context) { recheckStore(ctx, st, ensure, time.Minute, log) })
	case err != nil:
		// Not fatal: artifacts wait in the spool until the store answers.
		log.Error("object store not usable at start; artifacts will wait in the spool", "bucket", sc.S3.Bucket, "error", err)
	}
	return b, nil
}

// recheckStore runs check every interval while st is unhealthy, and
// clears st's health once check passes (or an upload has cleared it).
func recheckStore(ctx context.Context, st *spool.Store, check func(context.Context) error, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for st.Health() != nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := check(cctx)
		cancel()
		if err == nil {
			st.SetHealth(nil)
			log.Info("object store usable again; uploading spooled artifacts")
			return
		}
		st.SetHealth(err)
	}
}

func newLocalStore(cfg Config, log *slog.Logger) (builtStore, error) {
	sc := cfg.Store
	key := []byte(cfg.LinkKey)
	if len(key) == 0 {
		var err error
		if key, err = store.NewLinkKey(); err != nil {
			return builtStore{}, err
		}
		if cfg.PublicURL != "" {
			log.Warn("ALERTPROF_LINK_KEY is not set: artifact links are signed with a random key and stop working when alertprof restarts")
		}
	}
	local, err := store.NewLocal(sc.Local.Dir, cfg.PublicURL, store.WithLinkKey(key), store.WithLinkExpiry(sc.LinkExpiry))
	if err != nil {
		return builtStore{}, err
	}
	b := builtStore{store: local, artifacts: local, describe: local.Dir(), linkKey: key}
	if sc.Local.Retention > 0 {
		b.run = append(b.run, func(ctx context.Context) { local.RunRetention(ctx, sc.Local.Retention, time.Hour, log) })
	}
	return b, nil
}
