package handler

import (
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/prometheus/alertmanager/template"
)

// serveWebhook takes one Alertmanager notification. It does no capture
// work itself: it decodes, updates incident state, decides the alerts
// whose targets cool down, queues a job when there is work left and
// answers 202, so Alertmanager never times out and retries.
func (h *Handler) serveWebhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { h.metrics.webhookDuration.Observe(time.Since(start).Seconds()) }()
	log := h.log.With("remote", r.RemoteAddr)
	if !admit(w, r, h.cfg.Auth, h.log, "webhook") {
		h.metrics.requests.WithLabelValues(resultUnauthorized).Inc()
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.metrics.requests.WithLabelValues(resultUnsupported).Inc()
		log.Warn("webhook refused: wrong content type", "content_type", r.Header.Get("Content-Type"))
		writeError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	msg, err := decodeMessage(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes), h.cfg.MaxAlerts, h.cfg.MaxLabelBytes)
	if err != nil {
		var re *requestError
		if !errors.As(err, &re) {
			re = badRequest("%v", err)
		}
		h.metrics.requests.WithLabelValues(re.result).Inc()
		log.Warn("webhook refused", "status", re.code, "error", re.msg)
		writeError(w, re.code, re.msg)
		return
	}
	firing := msg.Alerts.Firing()
	h.metrics.alerts.WithLabelValues("firing").Add(float64(len(firing)))
	h.metrics.alerts.WithLabelValues("resolved").Add(float64(len(msg.Alerts) - len(firing)))
	log = log.With("group_key", msg.GroupKey, "status", msg.Status, "alerts", len(msg.Alerts))

	// Incident state and the queue change together or not at all: a 503
	// leaves no trace, so Alertmanager's retry starts from the same state.
	j, err := h.book.accept(msg, h.deps.Now(), h.intakeKey, h.dispatch)
	if err != nil {
		result, text := resultQueueFull, "the job queue is full; retry later"
		if errors.Is(err, errQueueClosed) {
			result, text = resultShuttingDown, "alertprof is shutting down; retry later"
		}
		h.metrics.requests.WithLabelValues(result).Inc()
		log.Warn("webhook deferred", "reason", result)
		writeError(w, http.StatusServiceUnavailable, text)
		return
	}
	inc := j.incident

	h.metrics.requests.WithLabelValues(resultAccepted).Inc()
	if len(j.cooled) > 0 {
		h.metrics.skipped.WithLabelValues("cooldown").Add(float64(len(j.cooled)))
		log.Info("target captured recently; skipping", "incident", inc.ID, "targets", j.cooled)
	}
	if j.idle {
		log.Info("webhook accepted", "incident", inc.ID, "firing", len(firing), "queued", false,
			"why", "every target is captured, or being captured, for this incident")
	} else {
		log.Info("webhook accepted", "incident", inc.ID, "opened", j.opened, "firing", len(firing), "queued_alerts", len(j.alerts), "cooldown_notes", len(j.notes))
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "incident": inc.ID})
}

// alertName returns an alert's name for logs and reports.
func alertName(a template.Alert) string { return a.Labels["alertname"] }
