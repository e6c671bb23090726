package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// podCapture is one target's capture as its profiles land: what the job
// knows of the pod, the plan, and, by plan index, each landed profile's
// outcome and artifact.
type podCapture struct {
	base     report.PodReport // the pod, its alert and kind; no profiles
	target   capture.Target
	plan     []capture.Profile
	profiles []*report.ProfileReport // nil until landed
	arts     []*report.Artifact      // nil unless landed and fetched
	told     []bool                  // landed and in a report made already
}

func (h *Handler) newPodCapture(j job, a template.Alert, t capture.Target) *podCapture {
	kind, plan := h.planFor(a)
	if j.plan != nil {
		plan = j.plan
	}
	return &podCapture{
		base: report.PodReport{Target: t.Key(), Address: t.Address, Name: podName(t), AlertName: alertName(a),
			Annotations: podAnnotations(a), Kind: kind, CapturedAt: h.deps.Now(), Restart: t.Restart, MemoryBounds: t.Memory, Owner: t.Owner, Workload: t.Workload},
		target:   t,
		plan:     plan,
		profiles: make([]*report.ProfileReport, len(plan)),
		arts:     make([]*report.Artifact, len(plan)),
		told:     make([]bool, len(plan)),
	}
}

// land records the outcome of the plan's profile i.
func (pc *podCapture) land(i int, out report.ProfileReport, art *report.Artifact) {
	pc.profiles[i], pc.arts[i] = &out, art
}

// reported marks the profiles at plan indexes is as told in a report.
func (pc *podCapture) reported(is []int) {
	for _, i := range is {
		pc.told[i] = true
	}
}

// unreported are the plan indexes of the landed profiles no report has
// told yet.
func (pc *podCapture) unreported() []int {
	var out []int
	for i, p := range pc.profiles {
		if p != nil && !pc.told[i] {
			out = append(out, i)
		}
	}
	return out
}

// landed are the artifacts fetched so far, in plan order.
func (pc *podCapture) landed() []report.Artifact {
	var arts []report.Artifact
	for _, a := range pc.arts {
		if a != nil {
			arts = append(arts, *a)
		}
	}
	return arts
}

// done reports whether every profile of the plan has landed.
func (pc *podCapture) done() bool { return !slices.Contains(pc.profiles, nil) }

// podReport analyses what has landed into the pod's report, from scratch
// (report.Analyze on every landed artifact, so that the headline weighs
// them all and the final report is the one a single analysis would
// make); the profiles still out are listed in Capturing. Only the errors
// of the profiles in fresh (plan indexes) are logged and counted: the
// others were when they landed.
func (h *Handler) podReport(ctx context.Context, log *slog.Logger, pc *podCapture, fresh []int) report.PodReport {
	pr := pc.base
	var arts []report.Artifact
	for i, p := range pc.profiles {
		if p == nil {
			pr.Capturing = append(pr.Capturing, windowOf(pc.plan[i]))
			continue
		}
		pr.Profiles = append(pr.Profiles, *p)
		if a := pc.arts[i]; a != nil {
			arts = append(arts, *a)
		}
	}
	names := make(map[string]bool, len(fresh))
	for _, i := range fresh {
		names[pc.plan[i].Name] = true
	}
	healthy, release := h.healthyFor(ctx, log, pc.target)
	h.analyze(ctx, log, &pr, arts, healthy, func(name string) bool { return names[name] })
	release()
	h.beforeKill(ctx, log, pc.target, &pr, arts)
	return pr
}

// writeSummary stores the pod's summary.txt, the text report as it stands:
// an early report is overwritten by the final one.
func (h *Handler) writeSummary(ctx context.Context, log *slog.Logger, j job, t capture.Target, pr *report.PodReport) {
	var buf bytes.Buffer
	if err := report.WritePod(&buf, *pr); err != nil {
		return
	}
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

	out.Note = res.WindowNote // a delta asked for but not got
	key := capture.ArtifactKey(j.incident.OpenedAt, j.incident.ID, t, res.Profile.File())
	meta := artifactMeta(j, t, name)
	meta.Window = res.WindowMeta()
	err := h.deps.Store.Put(ctx, key, res.Data, meta)
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
	return out
}

// artifactMeta is the object metadata of one artifact of target t.
func artifactMeta(j job, t capture.Target, profile string) capture.Meta {
	return capture.Meta{Incident: j.incident.ID, Namespace: t.Namespace, Pod: t.Pod, Profile: profile, AlertName: j.incident.AlertName}
}
