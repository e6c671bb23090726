package spool

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// storeMetrics are the object store's upload and spool metrics.
type storeMetrics struct {
	uploads      *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	spoolBytes   prometheus.Gauge
	spoolObjects prometheus.Gauge
}

func newStoreMetrics(reg prometheus.Registerer) *storeMetrics {
	f := promauto.With(reg)
	m := &storeMetrics{
		uploads: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_uploads_total",
			Help: "Artifact uploads to the object store by result: ok, pending (kept in the spool), recovered (a spooled artifact uploaded later), error (a failed upload of a spooled or refused artifact).",
		}, []string{"result"}),
		dropped: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_spool_dropped_total",
			Help: "Artifacts lost because the spool could not keep them (full, write error, corrupt entry found at start).",
		}, []string{"reason"}),
		spoolBytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "alertprof_spool_bytes",
			Help: "Bytes of artifacts waiting in the spool for upload.",
		}),
		spoolObjects: f.NewGauge(prometheus.GaugeOpts{
			Name: "alertprof_spool_objects",
			Help: "Artifacts waiting in the spool for upload.",
		}),
	}
	for _, r := range []string{"ok", "pending", "recovered", "error"} {
		m.uploads.WithLabelValues(r)
	}
	for _, r := range []string{"full", "write", "corrupt"} {
		m.dropped.WithLabelValues(r)
	}
	return m
}
