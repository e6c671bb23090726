package handler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/alertprof/alertprof/capture"
)

// Results of one webhook request, used as the "result" label.
const (
	resultAccepted     = "accepted"
	resultBadRequest   = "bad_request"
	resultUnsupported  = "unsupported_media_type"
	resultTooLarge     = "too_large"
	resultUnauthorized = "unauthorized"
	resultQueueFull    = "queue_full"
	resultShuttingDown = "shutting_down"
	resultTooMany      = "too_many_alerts"
	resultLabelTooBig  = "label_too_large"
)

type metrics struct {
	requests        *prometheus.CounterVec
	webhookDuration prometheus.Histogram
	alerts          *prometheus.CounterVec
	jobs            *prometheus.CounterVec
	captures        *prometheus.CounterVec
	captureDuration *prometheus.HistogramVec
	skipped         *prometheus.CounterVec
	failures        *prometheus.CounterVec
	deferred        *prometheus.CounterVec
	dropped         *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, queueDepth func() float64, profiles []string) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_webhook_requests_total",
			Help: "Webhook requests by result.",
		}, []string{"result"}),
		webhookDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "alertprof_webhook_duration_seconds",
			Help:    "Time from a webhook request's arrival to its answer, whatever the result.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
		alerts: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_alerts_received_total",
			Help: "Alerts received in accepted webhook payloads, by status.",
		}, []string{"status"}),
		jobs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_jobs_completed_total",
			Help: "Jobs run to the end, by kind (capture, resolve, or ondemand).",
		}, []string{"kind"}),
		captures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_captures_total",
			Help: "Profile fetches by profile and result (ok, or the failure reason).",
		}, []string{"profile", "result"}),
		captureDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "alertprof_capture_duration_seconds",
			Help:    "Time to fetch one profile, CPU windows included.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 90},
		}, []string{"profile"}),
		skipped: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_targets_skipped_total",
			Help: "Alerts or targets not captured, by reason (no_target, cooldown, in_flight).",
		}, []string{"reason"}),
		failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_failures_total",
			Help: "Pipeline steps that failed, by stage (store, summarize, notify, record, baseline).",
		}, []string{"stage"}),
	}
	m.deferred = f.NewCounterVec(prometheus.CounterOpts{
		Name: "alertprof_limit_deferred_total",
		Help: "Captures that waited for a limit (concurrency, rate).",
	}, []string{"limit"})
	m.dropped = f.NewCounterVec(prometheus.CounterOpts{
		Name: "alertprof_limit_dropped_total",
		Help: "Captures dropped because a limit held them past their job's deadline (concurrency, rate).",
	}, []string{"limit"})
	for _, l := range []string{limitConcurrency, limitRate} {
		m.deferred.WithLabelValues(l)
		m.dropped.WithLabelValues(l)
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alertprof_queue_depth",
		Help: "Jobs waiting for a worker.",
	}, queueDepth)

	for _, r := range []string{resultAccepted, resultBadRequest, resultUnsupported, resultTooLarge, resultUnauthorized, resultQueueFull, resultShuttingDown, resultTooMany, resultLabelTooBig} {
		m.requests.WithLabelValues(r)
	}
	for _, s := range []string{"firing", "resolved"} {
		m.alerts.WithLabelValues(s)
	}
	for _, k := range []string{"capture", "resolve", "ondemand", "baseline"} {
		m.jobs.WithLabelValues(k)
	}
	for _, p := range profiles {
		m.captures.WithLabelValues(p, "ok")
		for _, r := range capture.Reasons {
			m.captures.WithLabelValues(p, r)
		}
		m.captureDuration.WithLabelValues(p)
	}
	for _, r := range []string{"no_target", "cooldown", "in_flight"} {
		m.skipped.WithLabelValues(r)
	}
	for _, s := range []string{"store", "summarize", "notify", "record", "baseline"} {
		m.failures.WithLabelValues(s)
	}
	return m
}
