package handler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/alertprof/alertprof/capture"
)

// coordMetrics count how replicas share the work; registered only when
// this replica coordinates with others.
type coordMetrics struct {
	takeovers prometheus.Counter
	lost      *prometheus.CounterVec
}

func newCoordMetrics(reg prometheus.Registerer, held func() float64) *coordMetrics {
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alertprof_leases_held",
		Help: "Leases this replica holds now: incidents it works on and targets it is capturing.",
	}, held)
	m := &coordMetrics{
		takeovers: f.NewCounter(prometheus.CounterOpts{
			Name: "alertprof_takeovers_total",
			Help: "Incidents this replica took over from another replica whose Lease expired or was released.",
		}),
		lost: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_claims_lost_total",
			Help: "Claims lost to another replica, by kind (incident, target): refused because another replica held it, or taken over from this one.",
		}, []string{"kind"}),
	}
	for _, k := range []string{capture.ClaimIncident, capture.ClaimTarget} {
		m.lost.WithLabelValues(k)
	}
	return m
}
