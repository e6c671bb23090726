package main

import (
	"log/slog"
	"os"
	"runtime/debug"

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

// analysisLimits are the caps on what the analysis reads of an artifact.
func analysisLimits(cfg Config) handler.Limits {
	return handler.Limits{
		MaxDecodedBytes: cfg.Capture.MaxDecodedBytes,
		Text:            format.TextLimits{MaxBytes: cfg.Capture.MaxTextBytes, MaxLines: cfg.Capture.MaxTextLines},
	}
}
