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
// hold (with other replicas, the incident's Lease: refused, the job
// leaves the incident to its holder), adopt (continue a stored incident,
// maybe one taken over), then either close the incident, or
// resolve and claim the targets, announce, capture, and record. The
// worker does the steps up to the announcement; the captures, which wait
// for the capture limits and last as long as their windows, run detached
// from it, so that no job waits in the queue behind another's captures.
func (h *Handler) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.JobTimeout, errJobTimeout)
	log := h.log.With("alertname", j.incident.AlertName)
	held, ok := h.holdIncident(ctx, log, j)
	if !ok {
		cancel()
		if j.incident.ID != "" {
			h.book.end(j.incident.ID)
		}
		return
	}
	j, adopted := h.adopt(ctx, log, j)
	if j.incident.ID == "" {
		h.dropIncident(ctx, log, j.incident.GroupKey)
		cancel()
		log.Info("resolved notification for a group with no open incident; nothing to do", "group_key", j.incident.GroupKey)
		return
	}
	finish := func() {
		cancel()
		h.book.end(j.incident.ID)
	}
	log = log.With("incident", j.incident.ID)
	if held.From != "" && adopted {
		j.takeover = true
		if !j.resolved() {
			j.alerts = h.book.takePending(j.incident.ID, j.alerts)
		}
		h.tookOver(log.With("group_key", j.incident.GroupKey), j.incident, held.From, "notification", len(j.alerts))
	}
	if j.resolved() {
		h.closeIncident(ctx, log, j)
		finish()
		return
	}
	todo, notes := h.claimTargets(ctx, log, &j)
	h.baselineFiring(j.incident.ID, todo, notes)
	h.book.unreserve(j.incident.ID, h.reservations(j))
	if j.opened && j.incident.Channel == "" && len(j.notes) > 0 {
		j.incident.Channel = h.channelOf(ctx, j.notes[0].alert)
	}
	// The parent goes out once the pods are known, so that a pod's
	// alertprof.io/slack-channel annotation can choose where it goes.
	j.incident.Targets = h.book.open(j.incident, jobPodNames(todo, j.notes, notes))
	if j.opened {
		h.notify(ctx, log, report.Event{Kind: report.Opened, Incident: j.incident})
	}
	for _, n := range append(j.notes, notes...) {
		h.reportNote(ctx, log, j, n)
	}
	if h.coordinated() && len(todo) > 0 {
		// Before the captures begin: a replica that takes the incident
		// over from here captures what this one was capturing.
		h.saveGroupState(ctx, log, j.incident.ID)
	}
	captureAll := func() {
		defer finish()
		h.captureAll(ctx, log, fanOut{job: j, holder: holderOf(j.incident), notify: true}, todo)
		h.persist(ctx, log, j.incident.ID)
		h.metrics.jobs.WithLabelValues("capture").Inc()
	}
	if len(todo) == 0 {
		captureAll()
		return
	}
	h.pool.detach(j, captureAll)
}

// channelOf is the Slack channel the pod of alert a asks for (its
// alertprof.io/slack-channel annotation): an incident whose pods all cool
// down still opens its thread where the pod's team reads.
func (h *Handler) channelOf(ctx context.Context, a template.Alert) string {
	ts, err := h.deps.Resolver.Resolve(ctx, a.Labels)
	if err != nil || len(ts) == 0 {
		return ""
	}
	return ts[0].SlackChannel
}

// reservations are the claimKeys that j's alerts may have reserved when
// their notification arrived.
func (h *Handler) reservations(j job) []string {
	var keys []string
	for _, a := range j.alerts {
		if target, kind, ok := h.intakeKey(a); ok {
			keys = append(keys, claimKey(target, kind))
		}
	}
	return keys
}

// closeIncident announces that the incident resolved and records it. Jobs
// of the incident still capturing go on, and report into its thread.
func (h *Handler) closeIncident(ctx context.Context, log *slog.Logger, j job) {
	h.notify(ctx, log, report.Event{Kind: report.Resolved, Incident: j.incident})
	h.book.resolve(j.incident)
	h.schedule.Resolved(j.incident.ID, h.deps.Now())
	h.persist(ctx, log, j.incident.ID)
	h.dropIncident(ctx, log, j.incident.GroupKey)
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
	// cooled, when set, is the claimKey whose cooldown keeps the target
	// from being captured again: an earlier claim of another incident.
	cooled string
	// otherwise target.Skip says why
}

// claimTargets resolves the job's alerts to targets and claims each one
// for the alert's kind: it returns the targets to capture, and the notes
// to report. A target captured for the same kind within the cooldown is
// left out, as re-sends of a group must not capture a pod twice, with a
// note pointing to that capture when another incident made it; one being
// captured right now by another job or capture on demand is left out with
// a note naming who holds it.
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
		kind := capture.KindOf(a.Labels)
		for _, t := range targets {
			key := claimKey(t.Key(), kind)
			if seen[key] {
				continue
			}
			seen[key] = true
			if j.incident.Channel == "" {
				j.incident.Channel = t.SlackChannel
			}
			if t.Skip != "" {
				notes = append(notes, note{alert: a, target: t})
				continue
			}
			c := h.book.claim(t.Key(), kind, j.incident.ID, holderOf(j.incident), h.deps.Now())
			switch {
			case c.holder != "":
				notes = append(notes, note{alert: a, target: t, holder: c.holder})
			case h.book.cooled(c, j.incident.ID) && h.book.once(cooldownNoteKey(j.incident.ID, key), h.deps.Now()):
				notes = append(notes, note{alert: a, target: t, cooled: key})
			case !c.ok:
				h.metrics.skipped.WithLabelValues("cooldown").Inc()
				log.Info("target captured recently; skipping", "target", t.Key(), "last_capture", c.last)
			case !h.claimShared(ctx, log, j, t, kind):
			default:
				if h.coordinated() {
					h.book.capturing(j.incident.ID, key, a.Labels)
				}
				todo = append(todo, item{alert: a, target: t, shared: h.coordinated()})
			}
		}
	}
	return todo, notes
}
