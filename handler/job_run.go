package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

var errJobTimeout = errors.New("the job ran past job_timeout")

// runJob is the pipeline for one queued notification, as named steps:
// adopt (continue a stored incident), then either close the incident, or
// resolve and claim the targets, announce, capture, and record.
func (h *Handler) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.JobTimeout, errJobTimeout)
	defer cancel()
	log := h.log.With("alertname", j.incident.AlertName)
	j = h.adopt(ctx, log, j)
	if j.incident.ID == "" {
		log.Info("resolved notification for a group with no open incident; nothing to do", "group_key", j.incident.GroupKey)
		return
	}
	defer h.book.end(j.incident.ID)
	log = log.With("incident", j.incident.ID)
	if j.resolved() {
		h.closeIncident(ctx, log, j)
		return
	}
	todo, notes := h.claimTargets(ctx, log, &j)
	// The parent goes out once the pods are known, so that a pod's
	// alertprof.io/slack-channel annotation can choose where it goes.
	h.book.open(j.incident)
	if j.opened {
		h.notify(ctx, log, report.Event{Kind: report.Opened, Incident: j.incident})
	}
	for _, n := range notes {
		h.reportNote(ctx, log, j, n)
	}
	h.captureAll(ctx, log, fanOut{job: j, holder: holderOf(j.incident), notify: true}, todo)
	h.persist(ctx, log, j.incident.ID)
	h.metrics.jobs.WithLabelValues("capture").Inc()
}

// closeIncident announces that the incident resolved and records it. Jobs
// of the incident still capturing go on, and report into its thread.
func (h *Handler) closeIncident(ctx context.Context, log *slog.Logger, j job) {
	h.notify(ctx, log, report.Event{Kind: report.Resolved, Incident: j.incident})
	h.book.resolve(j.incident)
	h.persist(ctx, log, j.incident.ID)
	h.metrics.jobs.WithLabelValues("resolve").Inc()
}

// holderOf names an incident's job as the holder of its targets' claims,
// for the line that tells why another capture of them was refused.
func holderOf(inc report.Incident) string { return "incident " + inc.ID }

// note is a target, or an alert, that the job reports on without
// capturing it.
type note struct {
	alert  template.Alert
	target capture.Target
	err    error  // the alert resolved to nothing
	holder string // the target is being captured by holder
	// otherwise target.Skip says why
}

// claimTargets resolves the job's alerts to targets and claims each one:
// it returns the targets to capture, and the notes to report. A target
// captured within the cooldown is left out, as re-sends of a group must
// not capture a pod twice; one being captured right now by another job or
// capture on demand is left out with a note naming who holds it.
func (h *Handler) claimTargets(ctx context.Context, log *slog.Logger, j *job) ([]item, []note) {
	var todo []item
	var notes []note
	seen := make(map[string]bool)
	for _, a := range j.alerts {
		targets, err := h.deps.Resolver.Resolve(ctx, a.Labels)
		if err != nil {
			notes = append(notes, note{alert: a, err: err})
			continue
		}
		for _, t := range targets {
			if seen[t.Key()] {
				continue
			}
			seen[t.Key()] = true
			if j.incident.Channel == "" {
				j.incident.Channel = t.SlackChannel
			}
			if t.Skip != "" {
				notes = append(notes, note{alert: a, target: t})
				continue
			}
			c := h.book.claim(t.Key(), holderOf(j.incident), h.deps.Now())
			switch {
			case c.holder != "":
				notes = append(notes, note{alert: a, target: t, holder: c.holder})
			case !c.ok:
				h.metrics.skipped.WithLabelValues("cooldown").Inc()
				log.Info("target captured recently; skipping", "target", t.Key(), "last_capture", c.last)
			default:
				todo = append(todo, item{alert: a, target: t})
			}
		}
	}
	return todo, notes
}
