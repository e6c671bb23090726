package handler

import (
	"context"
	"log/slog"
	"sync"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// item is one target to capture and the alert it answers (for a capture
// on demand, the request made into an alert).
type item struct {
	alert  template.Alert
	target capture.Target
	shared bool // claimed across replicas too
}

// fanOut is how one job captures its targets; alert jobs and captures on
// demand differ only in these settings.
type fanOut struct {
	job    job    // the incident, and the plan when it is not the alert's
	holder string // who holds the targets' in-flight claims
	notify bool   // post each pod report to the notifier
	// started and finished, when set, follow target i: started once the
	// capture limits let its capture begin, finished with its report.
	started  func(i int)
	finished func(i int, pr report.PodReport)
}

// captureAll captures items concurrently, PodsPerAlert at a time and
// within the receiver's capture limits, and reports each as it is done:
// the pod report goes into the incident's record and, with f.notify, to
// the notifier. Every item was claimed in flight for f.holder (except a
// target with Skip set, which is reported as not captured); the claim ends
// with its capture. captureAll returns when every item is reported; a
// shutdown past its deadline cancels ctx, which cuts the captures short.
func (h *Handler) captureAll(ctx context.Context, log *slog.Logger, f fanOut, items []item) {
	sem := make(chan struct{}, h.cfg.PodsPerAlert)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			plog := log.With("target", it.target.Key())
			var pr report.PodReport
			if it.target.Skip != "" {
				pr = h.skipReport(it.alert, it.target)
			} else {
				pr = h.captureTarget(ctx, plog, f, i, it)
			}
			h.book.add(f.job.incident.ID, pr)
			h.book.captured(it.target.Key(), capture.KindOf(it.alert.Labels), f.job.incident.ID, pr)
			if it.shared {
				// Recorded before it is reported: a replica that takes the
				// incident over from here does not capture the target again.
				h.book.reported(f.job.incident.ID, claimKey(it.target.Key(), capture.KindOf(it.alert.Labels)))
				h.saveGroupState(ctx, plog, f.job.incident.ID)
				h.releaseShared(ctx, plog, it, pr)
			}
			if f.notify {
				h.notify(ctx, plog, report.Event{Kind: report.Captured, Incident: f.job.incident, Pod: &pr})
			}
			if f.finished != nil {
				f.finished(i, pr)
			}
		})
	}
	wg.Wait()
}

// captureTarget captures one target within the receiver's capture limits
// (concurrency and rate), and then ends its in-flight claim. A capture the
// limits drop gives its cooldown back, so that a later notification
// captures the target.
func (h *Handler) captureTarget(ctx context.Context, log *slog.Logger, f fanOut, i int, it item) report.PodReport {
	defer h.book.release(it.target.Key(), f.holder)
	release, err := h.limiter.acquire(ctx, log)
	if err != nil {
		h.book.forget(claimKey(it.target.Key(), capture.KindOf(it.alert.Labels)), f.job.incident.ID)
		return report.PodReport{Target: it.target.Key(), Address: it.target.Address, Name: podName(it.target),
			AlertName: alertName(it.alert), Annotations: podAnnotations(it.alert),
			CapturedAt: h.deps.Now(), Problem: err.Error(), Owner: it.target.Owner}
	}
	defer release()
	if f.started != nil {
		f.started(i)
	}
	return h.capturePod(ctx, log, f.job, it.alert, it.target)
}

// skipReport is the one-line report of a target that is not captured.
func (h *Handler) skipReport(a template.Alert, t capture.Target) report.PodReport {
	return report.PodReport{Target: t.Key(), Address: t.Address, Name: podName(t), AlertName: alertName(a),
		Annotations: podAnnotations(a), CapturedAt: h.deps.Now(), Problem: t.Skip, Restart: t.Restart, Owner: t.Owner}
}
