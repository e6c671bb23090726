package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/baseline"
	"github.com/alertprof/alertprof/report"
)

// Resolver finds the processes an alert is about from its labels. It
// returns capture.ErrNoTarget (wrapped, with the reason in words) when the
// alert names nothing alertprof may fetch from.
type Resolver interface {
	Resolve(ctx context.Context, labels map[string]string) ([]capture.Target, error)
}

// Capturer takes the profiles of plan from one target. It never fails as
// a whole: each result carries its own error.
type Capturer interface {
	Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result
}

// Store keeps artifacts under keys and says where a person finds them.
// Put stores data exactly as given, with meta describing it (a store that
// keeps object metadata, such as S3, sends it along); the store neither
// changes data nor keeps it after Put returns. An error wrapping
// capture.ErrPending means the bytes were kept in the store's local spool
// and will be uploaded later: the report goes out saying so; it is not a
// failure.
type Store interface {
	Put(ctx context.Context, key string, data []byte, meta capture.Meta) error
	Link(key string) string
	// Get reads back what Put stored; a missing key is an error wrapping
	// fs.ErrNotExist. Incident state is read this way after a restart.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// ProfileUI is a web UI for stored pprof profiles, served under /ui/.
// Link returns a signed link that opens the profile stored under key, or
// "" when key is not a pprof profile or no link can be made.
type ProfileUI interface {
	http.Handler
	Link(key string) string
}

// Notifier tells people about an incident: it opened, a pod's evidence is
// ready, it resolved. ev.Incident.Thread is the incident's thread so far;
// when it is empty the notifier may open one and returns it, and the
// handler keeps it in the incident record for every later event. Calls for
// one incident never overlap. An error means the event was not delivered.
type Notifier interface {
	Notify(ctx context.Context, ev report.Event) (report.Thread, error)
}

// Config holds the handler's settings; zero values take the defaults.
type Config struct {
	Workers      int           // job workers: they resolve, claim and announce (2)
	QueueSize    int           // jobs waiting before 503, and jobs capturing at once (64)
	MaxBodyBytes int64         // webhook body limit (1 MiB)
	MaxAlerts    int           // alerts in one payload (1000)
	JobTimeout   time.Duration // one job, all pods (3m)
	Cooldown     time.Duration // no second capture of a target for one alert kind within this (15m)
	Plan         []capture.Profile
	// Plans are the plans by alert kind (capture.KindOf); a kind without
	// one uses Plan.
	Plans map[string][]capture.Profile
	Top   int  // rows per profile table (10)
	Auth  Auth // credentials the webhook requires; zero accepts any caller
	// CaptureAuth is what the capture API (/api/v1/captures) requires;
	// without credentials it requires Auth's.
	CaptureAuth  Auth
	PodsPerAlert int // targets captured concurrently per job (3)
	// MaxConcurrentCaptures bounds the targets captured at once across all
	// jobs (4); CapturesPerMinute bounds how many start per minute (300).
	MaxConcurrentCaptures int
	CapturesPerMinute     int
	// MaxLabelBytes bounds one label or annotation value (8 KiB).
	MaxLabelBytes int
	ArtifactsPath string // where the local store is served ("/artifacts")
	// Settings shape the profiles an on-demand request names (CPU window,
	// heap growth window); CPUSeconds 0 takes 10.
	Settings capture.Settings
	// Baseline says when healthy baselines are taken (with
	// Deps.Baselines).
	Baseline BaselineConfig
	// Limits bound what the analysis reads of each artifact.
	Limits Limits
	// BeforeKillWindow is how long before an OOM kill a capture of the
	// pod, or of its workload, may have been taken to lead the restart's
	// report (1h); negative turns the lookup off.
	BeforeKillWindow time.Duration
	// LeaseDuration is how long a replica's claim on an incident or a
	// target holds without renewal (15s); SweepInterval is how often a
	// replica looks for incidents whose holder is gone (30s). Both apply
	// with Deps.Coordinator only.
	LeaseDuration time.Duration
	SweepInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 64
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxAlerts <= 0 {
		c.MaxAlerts = 1000
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 3 * time.Minute
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 15 * time.Minute
	}
	if c.Top <= 0 {
		c.Top = 10
	}
	if c.PodsPerAlert <= 0 {
		c.PodsPerAlert = 3
	}
	if c.MaxConcurrentCaptures <= 0 {
		c.MaxConcurrentCaptures = 4
	}
	if c.CapturesPerMinute <= 0 {
		c.CapturesPerMinute = 300
	}
	if c.MaxLabelBytes <= 0 {
		c.MaxLabelBytes = 8 << 10
	}
	if c.Settings.CPUSeconds <= 0 {
		c.Settings.CPUSeconds = 10
	}
	if c.BeforeKillWindow == 0 {
		c.BeforeKillWindow = time.Hour
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 15 * time.Second
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
}

// Deps are the parts the handler drives.
type Deps struct {
	Resolver Resolver
	Capturer Capturer
	Store    Store
	Notifier Notifier
	// Artifacts serves stored artifacts under /artifacts/; nil disables it.
	Artifacts http.Handler
	Logger    *slog.Logger
	// Registerer and Gatherer back /metrics; a fresh registry when nil.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Now        func() time.Time
	// Gate bounds CPU-heavy analysis; share it with the capturer's
	// fetchers. Nil means a new gate of GOMAXPROCS-1 slots.
	Gate capture.Gate
	// Budget admits each artifact's analysis by the memory it needs;
	// share it with the capturer's fetchers. Nil admits everything.
	Budget *capture.Budget

	// UI serves the pprof web UI under /ui/ and links each profile's
	// report to it; nil disables it.
	UI ProfileUI
	// Baselines keeps each workload's healthy baseline, to compare
	// incidents with; nil disables baselines. Baselines are stored in it,
	// and linked through Store.
	Baselines Baselines

	// Coordinator, when set, shares incidents and targets with other
	// replicas; Shared is then the conditional side of Store, where the
	// replicas' records are written. Nil runs as the only replica.
	Coordinator Coordinator
	Shared      VersionedStore
}

// Handler is the webhook receiver and its job pipeline.
type Handler struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	metrics  *metrics
	coordm   *coordMetrics // nil when alone
	sweep    *sweeper
	book     *book
	limiter  *limiter
	pool     *pool
	notices  *pool // jobs that only open an incident or post notes
	ondemand *onDemands
	indexMu  sync.Mutex // serializes writes of the capture indexes
	ready    atomic.Bool
	router   chi.Router

	// schedule says when healthy baselines are due; stopBaselines ends
	// the baseline loop, and baselinesDone closes when it returned.
	schedule      *baseline.Schedule
	stopBaselines context.CancelFunc
	baselinesDone chan struct{}
}

// New builds a Handler. Call Start before serving and Shutdown to drain.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.Resolver == nil || deps.Capturer == nil || deps.Store == nil || deps.Notifier == nil {
		return nil, errors.New("handler: resolver, capturer, store and notifier are required")
	}
	if deps.Coordinator != nil && deps.Shared == nil {
		return nil, errors.New("handler: a coordinator needs the shared store's conditional writes")
	}
	if len(cfg.Plan) == 0 {
		return nil, errors.New("handler: the capture plan is empty")
	}
	cfg.setDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Gate == nil {
		deps.Gate = capture.NewGate(0)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Registerer == nil || deps.Gatherer == nil {
		reg := prometheus.NewRegistry()
		deps.Registerer, deps.Gatherer = reg, reg
	}
	h := &Handler{cfg: cfg, deps: deps, log: deps.Logger, book: newBook(cfg.Cooldown), ondemand: newOnDemands(cfg.QueueSize),
		schedule: baseline.NewSchedule(cfg.Baseline.AfterResolve, cfg.Baseline.Interval, cfg.Baseline.MaxWorkloads)}
	h.pool = newPool(cfg.QueueSize, cfg.Workers, h.runJob)
	h.notices = newPool(cfg.QueueSize, cfg.Workers, h.runJob)
	var names []string
	for _, plan := range append([][]capture.Profile{cfg.Plan}, slices.Collect(maps.Values(cfg.Plans))...) {
		for _, p := range plan {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	h.metrics = newMetrics(deps.Registerer, func() float64 { return float64(h.pool.depth() + h.notices.depth()) }, names)
	if deps.Coordinator != nil {
		h.coordm = newCoordMetrics(deps.Registerer, func() float64 { return float64(deps.Coordinator.Held()) })
	}
	h.limiter = newLimiter(cfg.MaxConcurrentCaptures, cfg.CapturesPerMinute, h.metrics)
	h.router = h.routes()
	return h, nil
}

func (h *Handler) routes() chi.Router {
	r := chi.NewRouter()
	r.Post("/api/v1/alerts", h.serveWebhook)
	r.Post("/api/v1/captures", h.serveCaptureRequest)
	r.Get("/api/v1/captures/{id}", h.serveCaptureStatus)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", h.serveReady)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(h.deps.Gatherer, promhttp.HandlerOpts{}))
	if h.deps.Artifacts != nil {
		r.Method(http.MethodGet, "/artifacts/*", http.StripPrefix("/artifacts", h.deps.Artifacts))
	}
	if h.deps.UI != nil {
		ui := http.StripPrefix("/ui", h.deps.UI)
		r.Method(http.MethodGet, "/ui/*", ui)
		r.Method(http.MethodHead, "/ui/*", ui)
	}
	return r
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// healthReporter is a dependency that can tell it cannot work: Health
// returns why (a missing bucket, denied access), or nil. A Store that
// implements it takes part in readiness.
type healthReporter interface{ Health() error }

func (h *Handler) serveReady(w http.ResponseWriter, _ *http.Request) {
	if !h.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	if hr, ok := h.deps.Store.(healthReporter); ok {
		if err := hr.Health(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "artifact store: " + err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Start launches the workers and marks the receiver ready.
func (h *Handler) Start() {
	h.pool.start()
	h.notices.start()
	if h.baselinesOn() {
		ctx, cancel := context.WithCancel(context.Background())
		h.stopBaselines, h.baselinesDone = cancel, make(chan struct{})
		go func() {
			defer close(h.baselinesDone)
			h.runBaselines(ctx)
		}()
	}
	h.startCoordination()
	h.ready.Store(true)
}

// Shutdown stops accepting alerts and waits for queued and running jobs.
// If ctx ends first, running jobs are canceled and every job that was cut
// short or never started is logged, then Shutdown returns an error.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.ready.Store(false)
	if h.stopBaselines != nil {
		h.stopBaselines() // a baseline cut short is taken again later
		<-h.baselinesDone
	}
	var cut, cutNotices []job
	var wg sync.WaitGroup
	wg.Go(func() { cut = h.pool.shutdown(ctx) })
	wg.Go(func() { cutNotices = h.notices.shutdown(ctx) })
	wg.Wait()
	cut = append(cut, cutNotices...)
	h.stopCoordination()
	if n := h.ondemand.shutdown(ctx); n > 0 {
		h.log.Warn("on-demand captures cut short by shutdown", "captures", n)
		return errors.New("shutdown deadline passed with on-demand captures unfinished")
	}
	for _, j := range cut {
		h.log.Warn("job cut short by shutdown", "incident", j.incident.ID, "alertname", j.incident.AlertName,
			"alerts", len(j.alerts), "resolved", j.resolved())
	}
	if len(cut) > 0 {
		return errors.New("shutdown deadline passed with jobs unfinished")
	}
	return nil
}
