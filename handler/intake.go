package handler

import (
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
)

// TargetNamer is implemented by a Resolver that can name, from an alert's
// labels alone and without I/O, the one target the alert resolves to (its
// capture.Target.Key). With it, the webhook decides cooldowns as a
// notification arrives: an alert whose target cools down takes no place
// in the job queue. An alert it cannot name (false) is decided by its job,
// once resolved.
type TargetNamer interface {
	TargetKey(labels map[string]string) (string, bool)
}

// intakeKey names the target and kind of a firing alert, when the
// resolver can name its target.
func (h *Handler) intakeKey(a template.Alert) (target, kind string, ok bool) {
	namer, isNamer := h.deps.Resolver.(TargetNamer)
	if !isNamer {
		return "", "", false
	}
	target, ok = namer.TargetKey(a.Labels)
	return target, capture.KindOf(a.Labels), ok
}

// dispatch queues a job on its lane: jobs that resolve and capture, and
// resolves, in the job queue; a job that only opens an incident or posts
// notes (its targets all cool down) in the notice lane, so that it never
// waits behind, nor takes the place of, capture work.
func (h *Handler) dispatch(j job) error {
	if len(j.alerts) > 0 || j.resolved() {
		return h.pool.enqueue(j)
	}
	return h.notices.enqueue(j)
}

// intake is what a notification's arrival decided: the claims it
// reserves for its job and the cooldown notes it counts, both recorded
// only once its job is queued.
type intake struct {
	reserve []string // claimKeys
	noted   []string // cooldownNoteKeys
}

// lockedIntake decides the firing alerts of j whose target keyOf names:
// one whose target (for the alert's kind) no claim cools down is kept
// for the job, which will capture it, and reserved for j's incident; one
// claimed by j's own incident already is dropped, its report being in the
// incident's thread; one claimed by another incident becomes a note
// pointing to that capture, once per incident. The caller holds b.mu.
func (b *book) lockedIntake(j *job, now time.Time, keyOf func(template.Alert) (string, string, bool)) intake {
	b.claims.expire(now)
	var in intake
	var keep []template.Alert
	seen := make(map[string]bool)
	for _, a := range j.alerts {
		target, kind, ok := keyOf(a)
		if !ok {
			keep = append(keep, a)
			continue
		}
		key := claimKey(target, kind)
		if seen[key] {
			continue
		}
		seen[key] = true
		m, active := b.claims.active(key, now)
		switch {
		case !active:
			in.reserve = append(in.reserve, key)
			keep = append(keep, a)
		case b.lockedID(m.incident) == b.lockedID(j.incident.ID):
			j.cooled = append(j.cooled, target)
		default:
			nk := cooldownNoteKey(j.incident.ID, key)
			if _, noted := b.claims.active(nk, now); noted {
				continue
			}
			in.noted = append(in.noted, nk)
			j.notes = append(j.notes, note{alert: a, cooled: key})
		}
	}
	j.alerts = keep
	return in
}

// lockedCommit records what intake decided, once j is queued. The caller
// holds b.mu.
func (b *book) lockedCommit(in intake, j job, now time.Time) {
	for _, key := range in.reserve {
		b.claims.set(key, mark{at: now, incident: j.incident.ID})
	}
	for _, key := range in.noted {
		b.claims.set(key, mark{at: now, taken: true})
	}
}
