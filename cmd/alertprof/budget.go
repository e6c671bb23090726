package main

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/handler"
)

// runtimeReserve is the memory the receiver needs outside its budget: the
// Go runtime, the Kubernetes and store clients, the queue and the book.
const runtimeReserve = 32 << 20

// newBudget is the receiver's memory budget (capture.memory_budget_bytes),
// shared by the bodies being fetched and the analyses. Unless GOMEMLIMIT
// is set, it also sets the Go runtime's soft memory limit to the budget
// plus runtimeReserve, so that garbage is collected before the heap
// doubles past what is live: a receiver with the default budget then fits
// in a pod limited to 256 MiB.
func newBudget(cfg Config, log *slog.Logger) *capture.Budget {
	b := capture.NewBudget(cfg.Capture.MemoryBudgetBytes)
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := b.Size() + runtimeReserve
		if prev := debug.SetMemoryLimit(-1); prev < limit {
			limit = prev // a lower limit set before wins
		}
		debug.SetMemoryLimit(limit)
		log.Debug("soft memory limit set from the memory budget", "budget_bytes", b.Size(), "limit_bytes", limit)
	}
	return b
}

// registerBudget exposes the budget's size, use, waits and refusals.
func registerBudget(reg prometheus.Registerer, b *capture.Budget) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "alertprof_memory_budget_bytes",
			Help: "Memory that bodies being read and analyses share (capture.memory_budget_bytes)."},
			func() float64 { return float64(b.Size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "alertprof_memory_budget_used_bytes",
			Help: "Memory of the budget reserved now."},
			func() float64 { return float64(b.Used()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "alertprof_memory_budget_waits_total",
			Help: "Reservations that waited for their share of the memory budget."},
			func() float64 { w, _ := b.Counts(); return float64(w) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "alertprof_memory_budget_refused_total",
			Help: "Bodies and analyses refused because they could never fit in the memory budget."},
			func() float64 { _, r := b.Counts(); return float64(r) }),
	)
}

// analysisLimits are the caps on what the analysis reads of an artifact.
func analysisLimits(cfg Config) handler.Limits {
	return handler.Limits{
		MaxDecodedBytes: cfg.Capture.MaxDecodedBytes,
		Text:            format.TextLimits{MaxBytes: cfg.Capture.MaxTextBytes, MaxLines: cfg.Capture.MaxTextLines},
	}
}
