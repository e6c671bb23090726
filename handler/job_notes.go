package handler

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report"
)

// reportNote tells people, in one line in the incident's thread, why an
// alert or a target is not captured, once per alert or target within the
// cooldown.
func (h *Handler) reportNote(ctx context.Context, log *slog.Logger, j job, n note) {
	var pr report.PodReport
	switch {
	case n.err != nil:
		h.metrics.skipped.WithLabelValues("no_target").Inc()
		if !h.book.once("problem/"+n.alert.Fingerprint+"/"+n.alert.Labels["instance"], h.deps.Now()) {
			return
		}
		log.Warn("alert has no usable target", "fingerprint", n.alert.Fingerprint, "error", n.err)
		pr = report.PodReport{Target: describeAlert(n.alert), AlertName: alertName(n.alert), CapturedAt: h.deps.Now(), Problem: n.err.Error()}
	case n.holder != "":
		h.metrics.skipped.WithLabelValues("in_flight").Inc()
		if !h.book.once("busy/"+n.target.Key(), h.deps.Now()) {
			return
		}
		log.Info("target is being captured by another job; not capturing it twice at once", "target", n.target.Key(), "holder", n.holder)
		pr = h.skipReport(n.alert, n.target)
		pr.Problem = fmt.Sprintf("not captured: being captured right now by %s (two profiles of one process at once disturb each other); that capture's report has the evidence", n.holder)
	default:
		h.metrics.skipped.WithLabelValues("no_target").Inc()
		if !h.book.once("skip/"+n.target.Key(), h.deps.Now()) {
			return
		}
		log.Info("pod not captured", "target", n.target.Key(), "reason", n.target.Skip)
		pr = h.skipReport(n.alert, n.target)
	}
	h.book.add(j.incident.ID, pr)
	h.notify(ctx, log, report.Event{Kind: report.Captured, Incident: j.incident, Pod: &pr})
}

func describeAlert(a template.Alert) string {
	if inst := a.Labels["instance"]; inst != "" {
		return "instance " + inst
	}
	if a.Fingerprint != "" {
		return "alert " + a.Fingerprint
	}
	return "alert " + alertName(a)
}
