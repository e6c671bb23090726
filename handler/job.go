package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

var errJobTimeout = errors.New("the job ran past job_timeout")

// runJob is the pipeline for one queued notification: resolve, capture,
// store, summarize, notify, record.
func (h *Handler) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.JobTimeout, errJobTimeout)
	defer cancel()
	log := h.log.With("alertname", j.incident.AlertName)
	j.incident, j.opened = h.adopt(ctx, log, j)
	log = log.With("incident", j.incident.ID)

	if j.resolved() {
		if j.incident.ID == "" {
			log.Info("resolved notification for a group with no open incident; nothing to do", "group_key", j.incident.GroupKey)
			return
		}
		h.notify(ctx, log, report.Event{Kind: report.Resolved, Incident: j.incident})
		h.records.resolve(j.incident)
		h.writeRecord(ctx, log, j.incident.ID)
		h.saveGroupState(ctx, log, j.incident.ID)
		h.records.forget(j.incident.ID)
		h.adoption.forgetGroup(j.incident.GroupKey)
		h.metrics.jobs.WithLabelValues("resolve").Inc()
		return
	}
	type work struct {
		alert  template.Alert
		target capture.Target
	}
	type notCaptured struct {
		alert  template.Alert
		target capture.Target
		err    error // the alert resolved to nothing; else target.Skip says why
	}
	var todo []work
	var skipped []notCaptured
	seen := make(map[string]bool)
	for _, a := range j.alerts {
		targets, err := h.deps.Resolver.Resolve(ctx, a.Labels)
		if err != nil {
			skipped = append(skipped, notCaptured{alert: a, err: err})
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
				skipped = append(skipped, notCaptured{alert: a, target: t})
				continue
			}
			if ok, last := h.incidents.claim(t.Key(), h.deps.Now()); !ok {
				h.metrics.skipped.WithLabelValues("cooldown").Inc()
				log.Info("target captured recently; skipping", "target", t.Key(), "last_capture", last)
				continue
			}
			todo = append(todo, work{alert: a, target: t})
		}
	}

	// The parent goes out once the pods are known, so that a pod's
	// alertprof.io/slack-channel annotation can choose where it goes.
	h.records.open(j.incident)
	if j.opened {
		h.notify(ctx, log, report.Event{Kind: report.Opened, Incident: j.incident})
	}
	for _, s := range skipped {
		if s.err != nil {
			h.reportProblem(ctx, log, j, s.alert, s.err)
		} else {
			h.reportSkip(ctx, log, j, s.alert, s.target)
		}
	}

	sem := make(chan struct{}, h.cfg.PodsPerAlert)
	var wg sync.WaitGroup
	for _, w := range todo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			plog := log.With("target", w.target.Key())
			pr := h.captureTarget(ctx, plog, j, w.alert, w.target, nil)
			h.records.add(j.incident.ID, pr)
			h.notify(ctx, plog, report.Event{Kind: report.Captured, Incident: j.incident, Pod: &pr})
		})
	}
	wg.Wait()
	h.writeRecord(ctx, log, j.incident.ID)
	h.saveGroupState(ctx, log, j.incident.ID)
	h.metrics.jobs.WithLabelValues("capture").Inc()
}

// captureTarget captures one target within the receiver's capture limits
// (concurrency and rate), marking it in flight while it runs. started,
// when not nil, is called once the limits let the capture begin.
func (h *Handler) captureTarget(ctx context.Context, log *slog.Logger, j job, a template.Alert, t capture.Target, started func()) report.PodReport {
	release, err := h.limiter.acquire(ctx, log)
	if err != nil {
		return report.PodReport{Target: t.Key(), Address: t.Address, AlertName: alertName(a),
			CapturedAt: h.deps.Now(), Problem: err.Error(), Owner: t.Owner}
	}
	defer release()
	defer h.inflight.add(t.Key(), j.incident.ID)()
	if started != nil {
		started()
	}
	return h.capturePod(ctx, log, j, a, t)
}

// reportProblem tells people that an alert named nothing to capture, once
// per alert fingerprint within the cooldown.
func (h *Handler) reportProblem(ctx context.Context, log *slog.Logger, j job, a template.Alert, err error) {
	h.metrics.skipped.WithLabelValues("no_target").Inc()
	if ok, _ := h.incidents.claim("problem/"+a.Fingerprint+"/"+a.Labels["instance"], h.deps.Now()); !ok {
		return
	}
	log.Warn("alert has no usable target", "fingerprint", a.Fingerprint, "error", err)
	pr := report.PodReport{
		Target:     describeAlert(a),
		AlertName:  alertName(a),
		CapturedAt: h.deps.Now(),
		Problem:    err.Error(),
	}
	h.records.add(j.incident.ID, pr)
	h.notify(ctx, log, report.Event{Kind: report.Captured, Incident: j.incident, Pod: &pr})
}

// reportSkip tells people, in one line, why a resolved pod is not
// captured (not Running, opted out, no pprof endpoint, ...), once per pod
// within the cooldown.
func (h *Handler) reportSkip(ctx context.Context, log *slog.Logger, j job, a template.Alert, t capture.Target) {
	h.metrics.skipped.WithLabelValues("no_target").Inc()
	if ok, _ := h.incidents.claim("skip/"+t.Key(), h.deps.Now()); !ok {
		return
	}
	log.Info("pod not captured", "target", t.Key(), "reason", t.Skip)
	pr := h.skipReport(a, t)
	h.records.add(j.incident.ID, pr)
	h.notify(ctx, log, report.Event{Kind: report.Captured, Incident: j.incident, Pod: &pr})
}

// skipReport is the one-line report of a target that is not captured.
func (h *Handler) skipReport(a template.Alert, t capture.Target) report.PodReport {
	return report.PodReport{Target: t.Key(), Address: t.Address, AlertName: alertName(a),
		CapturedAt: h.deps.Now(), Problem: t.Skip, Restart: t.Restart, Owner: t.Owner}
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

// capturePod fetches, stores and summarizes every profile of the plan for
// one target.
func (h *Handler) capturePod(ctx context.Context, log *slog.Logger, j job, a template.Alert, t capture.Target) report.PodReport {
	kind, plan := h.planFor(a)
	if j.plan != nil {
		plan = j.plan
	}
	pr := report.PodReport{Target: t.Key(), Address: t.Address, AlertName: alertName(a), Kind: kind,
		CapturedAt: h.deps.Now(), Restart: t.Restart, MemoryBounds: t.Memory, Owner: t.Owner}
	parsed := make(map[string]*profile.Profile)
	for _, res := range h.deps.Capturer.Capture(ctx, t, plan) {
		pr.Profiles = append(pr.Profiles, h.handleResult(ctx, log, j, t, res))
		if res.Err == nil && res.Parsed != nil {
			parsed[res.Profile.Name] = res.Parsed
		}
	}
	h.addGrowth(log, &pr, parsed)
	addMemory(&pr)
	pr.Headline = podHeadline(pr)
	var buf bytes.Buffer
	if err := report.WritePod(&buf, pr); err == nil {
		key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, "summary.txt")
		err := h.deps.Store.Put(ctx, key, buf.Bytes(), artifactMeta(j, t, "summary"))
		switch {
		case err == nil, errors.Is(err, capture.ErrPending): // pending: the store logged it and uploads it later
			pr.SummaryKey = key
		default:
			h.metrics.failures.WithLabelValues("store").Inc()
			log.Error("storing the summary failed", "key", key, "error", err)
		}
	}
	return pr
}

func (h *Handler) handleResult(ctx context.Context, log *slog.Logger, j job, t capture.Target, res capture.Result) report.ProfileReport {
	name := res.Profile.Name
	h.metrics.captureDuration.WithLabelValues(name).Observe(res.Duration.Seconds())
	out := report.ProfileReport{Name: name, Duration: res.Duration}
	if res.Err != nil {
		reason := capture.ReasonConnect
		var fe *capture.FetchError
		if errors.As(res.Err, &fe) {
			reason = fe.Reason
		}
		h.metrics.captures.WithLabelValues(name, reason).Inc()
		log.Warn("profile fetch failed", "profile", name, "reason", reason, "error", res.Err)
		out.Error = res.Err.Error()
		return out
	}
	h.metrics.captures.WithLabelValues(name, "ok").Inc()
	out.Bytes = len(res.Data)

	key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, res.Profile.File())
	err := h.deps.Store.Put(ctx, key, res.Data, artifactMeta(j, t, name))
	switch {
	case err == nil:
		out.Key, out.Link = key, h.deps.Store.Link(key)
	case errors.Is(err, capture.ErrPending):
		// Kept in the store's spool (which logged why); the report still
		// goes out, saying the upload is pending.
		out.Key, out.Link, out.Pending = key, h.deps.Store.Link(key), true
	default:
		h.metrics.failures.WithLabelValues("store").Inc()
		log.Error("storing a profile failed", "profile", name, "key", key, "error", err)
		out.Error = fmt.Sprintf("captured but not stored: %v", err)
	}
	if out.Key != "" && h.deps.UI != nil {
		out.UILink = h.deps.UI.Link(out.Key) // "" for text artifacts
	}
	if err := h.analyze(log, res, &out); err != nil {
		h.metrics.failures.WithLabelValues("summarize").Inc()
		log.Error("summarizing a profile failed", "profile", name, "error", err)
		if out.Error == "" {
			out.Error = fmt.Sprintf("captured but not summarized: %v", err)
		}
	}
	return out
}

// artifactMeta is the object metadata of one artifact of target t.
func artifactMeta(j job, t capture.Target, profile string) capture.Meta {
	return capture.Meta{Incident: j.incident.ID, Namespace: t.Namespace, Pod: t.Pod, Profile: profile, AlertName: j.incident.AlertName}
}

// notify delivers one event. Events of one incident are delivered one at a
// time, each with the thread the earlier ones opened.
func (h *Handler) notify(ctx context.Context, log *slog.Logger, ev report.Event) {
	unlock := h.records.lockNotify(ev.Incident.ID)
	defer unlock()
	if th := h.records.thread(ev.Incident.ID); !th.IsZero() {
		ev.Incident.Thread = th
	}
	th, err := h.deps.Notifier.Notify(ctx, ev)
	if !th.IsZero() && ev.Incident.Thread.IsZero() {
		h.records.setThread(ev.Incident.ID, th)
		// Persist the thread at once: a restart from here on must reply in
		// it, not open a second one.
		h.saveGroupState(ctx, log, ev.Incident.ID)
	}
	if err != nil {
		h.metrics.failures.WithLabelValues("notify").Inc()
		log.Error("notification failed", "event", ev.Kind.String(), "error", err)
		what := ev.Kind.String()
		if ev.Pod != nil {
			what += " " + ev.Pod.Target
		}
		h.records.undelivered(ev.Incident.ID, fmt.Sprintf("%s at %s: %v", what, h.deps.Now().UTC().Format(time.RFC3339), err))
	}
}
