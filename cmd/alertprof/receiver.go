package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// receiver is a wired alertprof: the handler, its parts and its server.
type receiver struct {
	cfg     Config
	log     *slog.Logger
	handler *handler.Handler
	store   builtStore
}

// newReceiver wires the pipeline from cfg. Reports go to out when no other
// notifier is configured; notifier, when non-nil, replaces the console.
func newReceiver(cfg Config, log *slog.Logger, out io.Writer, notifier handler.Notifier) (*receiver, error) {
	plans, err := cfg.plans()
	if err != nil {
		return nil, err
	}
	// One CPU budget for decoding and analysing profiles, leaving a core
	// free to acknowledge webhooks.
	gate := capture.NewGate(0)
	budget := newBudget(cfg, log)
	resolver, capturer, kubeCfg, err := buildTargets(cfg, log, os.Getenv, gate, budget)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("alertprof"))
	registerBudget(reg, budget)
	if notifier == nil && cfg.Slack.enabled() {
		slack, err := newSlack(cfg.Slack, log, reg)
		if err != nil {
			return nil, err
		}
		notifier = slack
		log.Info("reports go to Slack", "channel", cfg.Slack.Channel, "routes", len(cfg.Slack.Routes))
	}
	if notifier == nil {
		notifier = report.NewConsole(out, log)
	}
	store, err := newStore(cfg, log, reg)
	if err != nil {
		return nil, err
	}
	ui, err := newProfileUI(cfg, store, gate, budget, log, reg)
	if err != nil {
		return nil, err
	}
	baselineCfg, err := cfg.Report.Baseline.handlerConfig()
	if err != nil {
		return nil, err
	}
	baselines := newBaselines(cfg, store, log)
	coordinator, shared, err := newCoordinator(cfg, kubeCfg, store, os.Getenv, log)
	if err != nil {
		return nil, err
	}
	h, err := handler.New(handler.Config{
		Workers:               cfg.Webhook.Workers,
		QueueSize:             cfg.Webhook.QueueSize,
		MaxBodyBytes:          cfg.Webhook.MaxBodyBytes,
		MaxAlerts:             cfg.Webhook.MaxAlerts,
		JobTimeout:            cfg.Capture.JobTimeout,
		Cooldown:              cfg.Capture.Cooldown,
		Plan:                  plans[capture.KindDefault],
		Plans:                 plans,
		Top:                   cfg.Report.Top,
		Auth:                  cfg.webhookAuth(),
		CaptureAuth:           cfg.captureAuth(),
		PodsPerAlert:          cfg.Capture.MaxPodsPerAlert,
		MaxConcurrentCaptures: cfg.Capture.MaxConcurrent,
		CapturesPerMinute:     cfg.Capture.MaxPerMinute,
		MaxLabelBytes:         cfg.Webhook.MaxLabelBytes,
		Settings:              cfg.settings(),
		Baseline:              baselineCfg,
		Limits:                analysisLimits(cfg),
		BeforeKillWindow:      cfg.Report.beforeKillWindow(),
		LeaseDuration:         cfg.Coordination.LeaseDuration,
		SweepInterval:         cfg.Coordination.SweepInterval,
	}, handler.Deps{
		Resolver:   resolver,
		Capturer:   capturer,
		Store:      store.store,
		Notifier:   notifier,
		Gate:       gate,
		Budget:     budget,
		Artifacts:  store.artifacts,
		UI:         ui,
		Baselines:  baselines,
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,

		Coordinator: coordinator,
		Shared:      shared,
	})
	if err != nil {
		return nil, err
	}
	logAccess(log, h)
	if store.spool != nil {
		store.spool.OnUploaded(h.Uploaded) // incident.json loses "pending" when its uploads land
	}
	return &receiver{cfg: cfg, log: log, handler: h, store: store}, nil
}

// logAccess says at start who each endpoint that starts work accepts;
// an endpoint open to anyone is a warning.
func logAccess(log *slog.Logger, h *handler.Handler) {
	for _, a := range h.Access() {
		level := slog.LevelInfo
		if strings.HasPrefix(a[1], "anyone") {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, "endpoint access", "endpoint", a[0], "accepts", a[1])
	}
}

// serve runs the HTTP server on ln until ctx ends, then stops accepting,
// drains the jobs within the shutdown timeout and returns.
func (rc *receiver) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:  rc.handler,
		ErrorLog: slog.NewLogLogger(rc.log.Handler(), slog.LevelWarn),
	}
	rc.cfg.Webhook.Server.apply(srv)
	rc.handler.Start()
	for _, run := range rc.store.run {
		go run(ctx)
	}
	errc := make(chan error, 1)
	go func() {
		if tls := rc.cfg.Webhook.TLS; tls.enabled() {
			errc <- srv.ServeTLS(ln, tls.CertFile, tls.KeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	rc.log.Info("alertprof listening", "addr", ln.Addr().String(), "artifacts", rc.store.describe, "version", version.Version, "revision", version.GetRevision())

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

// newTargets chooses how alerts become targets (capture.mode): static
// addresses, or pods through the Kubernetes API. In auto mode Kubernetes
// is used when a kubeconfig ($KUBECONFIG or capture.kubernetes.kubeconfig)
// or an in-cluster service account exists, and static mode otherwise.
func newTargets(cfg Config, log *slog.Logger, getenv func(string) string, gate capture.Gate, budget *capture.Budget) (handler.Resolver, handler.Capturer, error) {
	r, c, _, err := buildTargets(cfg, log, getenv, gate, budget)
	return r, c, err
}

// buildTargets is newTargets, with the Kubernetes client configuration it
// used (nil in static mode).
func buildTargets(cfg Config, log *slog.Logger, getenv func(string) string, gate capture.Gate, budget *capture.Budget) (handler.Resolver, handler.Capturer, *rest.Config, error) {
	static, err := capture.NewStatic(cfg.Capture.Static.AllowedCIDRs, cfg.Capture.Static.Path)
	if err != nil {
		return nil, nil, nil, err
	}
	access, err := newAccess(cfg.Capture)
	if err != nil {
		return nil, nil, nil, err
	}
	direct := capture.NewFetcher(nil, cfg.Capture.MaxProfileBytes, cfg.Capture.Timeout).WithGate(gate).WithUserAgent(userAgent()).
		WithAccess(access).WithLimits(cfg.Capture.MaxDecodedBytes, budget)
	if len(cfg.Capture.Access) > 0 {
		log.Info("target access rules", "rules", len(cfg.Capture.Access)) // never the secrets
	}
	if cfg.Capture.Mode == "static" {
		log.Info("target mode: static", "allowed_cidrs", cfg.Capture.Static.AllowedCIDRs)
		return static, direct, nil, nil
	}
	k := cfg.Capture.Kubernetes
	restCfg, inCluster, err := kubeRESTConfig(cfg, getenv)
	if errors.Is(err, kube.ErrNoConfig) && cfg.Capture.Mode == "auto" {
		log.Info("target mode: static (no kubeconfig and not in a cluster)", "allowed_cidrs", cfg.Capture.Static.AllowedCIDRs)
		return static, direct, nil, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kubernetes: %w", err)
	}
	client, err := kube.NewClient(restCfg)
	if err != nil {
		return nil, nil, nil, err
	}
	proxy, err := kube.NewProxyFetcher(restCfg, cfg.Capture.MaxProfileBytes, cfg.Capture.Timeout)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kubernetes: %w", err)
	}
	proxy.WithGate(gate).WithLimits(cfg.Capture.MaxDecodedBytes, budget)
	mode := kube.ResolveFetchMode(k.FetchMode, inCluster)
	defaultPort := k.DefaultPort
	if defaultPort == 0 {
		defaultPort = -1 // 0 in the config disables the fallback port
	}
	logLines := k.LogLines
	if logLines == 0 {
		logLines = -1
	}
	resolver := kube.NewResolver(client, kube.Options{
		FetchMode:       mode,
		DefaultPort:     defaultPort,
		Path:            k.Path,
		AllowNamespaces: k.Namespaces.Allow,
		DenyNamespaces:  k.Namespaces.Deny,
		MaxPods:         cfg.Capture.MaxPodsPerAlert,
		LogLines:        logLines,
		Fallback:        static,
		Logger:          log,
	})
	log.Info("target mode: kubernetes", "api_server", restCfg.Host, "in_cluster", inCluster, "fetch_mode", mode)
	if mode == kube.FetchProxy && len(cfg.Capture.Access) > 0 {
		log.Warn("capture.access applies to direct fetches only: pods/proxy fetches send no target credentials and use the API server's TLS")
	}
	return resolver, kube.NewCapturer(direct, proxy, client.CoreV1().RESTClient()), restCfg, nil
}
