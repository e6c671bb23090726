package report

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// Console writes reports to a terminal or log stream. It is the notifier
// when Slack is not configured.
type Console struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger
}

// NewConsole writes reports to w and a one-line record of each to log.
func NewConsole(w io.Writer, log *slog.Logger) *Console {
	return &Console{w: w, log: log}
}

// Notify prints the event. The console has no threads: it returns none.
func (c *Console) Notify(_ context.Context, ev Event) (Thread, error) {
	return Thread{}, c.print(ev)
}

// Reply prints a pod's report as it lands: the early report (Progress)
// with what is still being captured, then the final one (Captured). A
// console cannot edit what it printed, so each is printed in turn, and no
// reply ID is kept.
func (c *Console) Reply(_ context.Context, ev Event) (Thread, string, error) {
	return Thread{}, "", c.print(ev)
}

func (c *Console) print(ev Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := ev.Incident
	switch ev.Kind {
	case Opened:
		c.log.Info("incident opened", "incident", inc.ID, "alertname", inc.AlertName)
		_, err := fmt.Fprintf(c.w, "\n=== incident %s: %s [%s] opened %s ===\n",
			inc.ID, inc.AlertName, inc.Severity, inc.OpenedAt.UTC().Format("2006-01-02 15:04:05Z"))
		return err
	case Resolved:
		c.log.Info("incident resolved", "incident", inc.ID, "alertname", inc.AlertName,
			"duration", inc.FiredFor().Round(1e9).String())
		_, err := fmt.Fprintf(c.w, "\n=== incident %s: %s resolved after %s ===\n",
			inc.ID, inc.AlertName, inc.FiredFor().Round(1e9))
		return err
	case Captured, Progress:
		if ev.Pod == nil {
			return nil
		}
		if ev.Kind == Progress {
			c.log.Info("early report ready", "incident", inc.ID, "alertname", inc.AlertName, "target", ev.Pod.Target,
				"still_capturing", ev.Pod.StillCapturing())
		} else {
			c.log.Info("report ready", "incident", inc.ID, "alertname", inc.AlertName, "target", ev.Pod.Target)
		}
		return WritePod(c.w, *ev.Pod)
	}
	return nil
}
