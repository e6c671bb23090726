package webui

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Results of one UI request, the "result" label.
const (
	resultOK        = "ok"
	resultForbidden = "forbidden" // a wrong or expired signature
	resultNotFound  = "not_found" // no such page or stored profile
	resultOpenError = "open_error"
)

type metrics struct {
	requests *prometheus.CounterVec
	opened   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_ui_requests_total",
			Help: "Flame-graph UI requests by result (ok, forbidden, not_found, open_error).",
		}, []string{"result"}),
		opened: f.NewCounter(prometheus.CounterOpts{
			Name: "alertprof_ui_profiles_opened_total",
			Help: "Stored profiles opened for the UI; a profile opened again after its eviction counts again (see ui.max_open_profiles).",
		}),
	}
	for _, r := range []string{resultOK, resultForbidden, resultNotFound, resultOpenError} {
		m.requests.WithLabelValues(r)
	}
	return m
}
