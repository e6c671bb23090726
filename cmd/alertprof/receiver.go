package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// receiver is a wired alertprof: the handler, its parts and its server.
type receiver struct {
	cfg     Config
	log     *slog.Logger
	handler *handler.Handler
	store   *capture.Local
}

// newReceiver wires the pipeline from cfg. Reports go to out when no other
// notifier is configured; notifier, when non-nil, replaces the console.
func newReceiver(cfg Config, log *slog.Logger, out io.Writer, notifier handler.Notifier) (*receiver, error) {
	plan, err := capture.Plan(cfg.Capture.Profiles, cfg.Capture.CPUSeconds)
	if err != nil {
		return nil, err
	}
	resolver, err := capture.NewStatic(cfg.Capture.Static.AllowedCIDRs, cfg.Capture.Static.Path)
	if err != nil {
		return nil, err
	}
	store, err := capture.NewLocal(cfg.Store.Local.Dir, cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	if notifier == nil {
		notifier = report.NewConsole(out, log)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := handler.New(handler.Config{
		Workers:      cfg.Webhook.Workers,
		QueueSize:    cfg.Webhook.QueueSize,
		MaxBodyBytes: cfg.Webhook.MaxBodyBytes,
		MaxAlerts:    cfg.Webhook.MaxAlerts,
		JobTimeout:   cfg.Capture.JobTimeout,
		Cooldown:     cfg.Capture.Cooldown,
		Plan:         plan,
		Top:          cfg.Report.Top,
		WebhookToken: cfg.WebhookToken,
		PodsPerAlert: cfg.Capture.MaxPodsPerAlert,
	}, handler.Deps{
		Resolver:   resolver,
		Capturer:   capture.NewFetcher(nil, cfg.Capture.MaxProfileBytes, cfg.Capture.Timeout),
		Store:      store,
		Notifier:   notifier,
		Artifacts:  store,
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,
	})
	if err != nil {
		return nil, err
	}
	if cfg.WebhookToken == "" {
		log.Warn("ALERTPROF_WEBHOOK_TOKEN is not set: the webhook accepts unauthenticated requests")
	}
	return &receiver{cfg: cfg, log: log, handler: h, store: store}, nil
}

// serve runs the HTTP server on ln until ctx ends, then stops accepting,
// drains the jobs within the shutdown timeout and returns.
func (rc *receiver) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           rc.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(rc.log.Handler(), slog.LevelWarn),
	}
	rc.handler.Start()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	rc.log.Info("alertprof listening", "addr", ln.Addr().String(), "artifacts", rc.store.Dir(), "version", version)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	rc.log.Info("shutting down: no new alerts; draining jobs", "timeout", rc.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), rc.cfg.ShutdownTimeout)
	defer cancel()
	httpErr := srv.Shutdown(sctx)
	jobErr := rc.handler.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		httpErr = errors.Join(httpErr, err)
	}
	return errors.Join(httpErr, jobErr)
}
