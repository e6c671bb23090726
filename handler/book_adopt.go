package handler

import (
	"context"
	"log/slog"
)

// adoption is one check of the store for a group's incident, made by the
// first job that needs it while the group's other jobs wait for it. Other
// groups never wait: the book's lock is not held while the store is read.
type adoption struct{ done chan struct{} }

// stored is what the store holds of a group's firing incident.
type stored struct {
	state groupState
	rec   record // empty when the record could not be read
}

// adopt reconciles a job's incident with the store the first time this
// process works on it: if the store holds a firing incident of the group,
// the job continues that incident (its ID, thread, pod reports and
// captured targets) instead of the one the webhook opened in memory. A
// resolve for a group with no open incident looks for one the same way,
// and closes it if found. load reads the store; it is called without the
// book's lock. adopt returns the job bound to the incident it must use (ID
// "" when a resolve matches no incident), and whether this call took an
// incident over from the store.
func (b *book) adopt(ctx context.Context, j job, load func() *stored) (job, bool) {
	b.mu.Lock()
	var a *adoption
	loader := false
	if j.incident.ID == "" {
		if a = b.resolving[j.incident.GroupKey]; a == nil {
			a, loader = &adoption{done: make(chan struct{})}, true
			b.resolving[j.incident.GroupKey] = a
		}
	} else if e := b.lockedEntry(j.incident.ID); e != nil && !e.checked {
		if a = e.adoption; a == nil {
			a, loader = &adoption{done: make(chan struct{})}, true
			e.adoption = a
		}
	}
	if a == nil { // checked before
		defer b.mu.Unlock()
		return b.lockedBind(j), false
	}
	b.mu.Unlock()
	if !loader {
		select {
		case <-a.done:
		case <-ctx.Done():
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.lockedBind(j), false
	}

	st := load()
	b.mu.Lock()
	defer b.mu.Unlock()
	defer close(a.done)
	// An incident in the book, or just forgotten by it, is never adopted:
	// this process worked on it, and the store had not caught up with its
	// resolve when it was read.
	found := st != nil && b.entries[st.state.Incident.ID] == nil && !b.forgotten.has(st.state.Incident.ID)
	if j.incident.ID == "" {
		delete(b.resolving, j.incident.GroupKey)
		if !found {
			return j, false
		}
		// This job resolves the stored incident: bind it in the same
		// critical section, so that a duplicate resolve finds nothing.
		e := b.lockedTakeOver(st)
		b.lockedRestoreClaims(st)
		e.jobs, e.closed, e.resolve = 1, true, true
		j.incident, j.opened = resolvedAs(e.rec.Incident, j.incident), false
		return j, true
	}
	e := b.lockedEntry(j.incident.ID)
	if e == nil { // cannot happen while the job counts: it holds the entry
		return j, false
	}
	e.checked, e.adoption = true, nil
	if found {
		s := b.lockedTakeOver(st)
		b.lockedMerge(e, s)
		b.lockedRestoreClaims(st) // after the merge: the job's reservations are the stored incident's
	}
	return b.lockedBind(j), found
}

// lockedTakeOver puts a stored incident in the book, with the captures its
// record lists.
func (b *book) lockedTakeOver(st *stored) *entry {
	inc := st.state.Incident
	e := &entry{rec: record{Incident: inc, Pods: st.rec.Pods, Undelivered: st.rec.Undelivered}, checked: true, pending: st.pendingAlerts()}
	b.entries[inc.ID] = e
	return e
}

// lockedRestoreClaims restores the cooldown of the targets a stored
// incident captured.
func (b *book) lockedRestoreClaims(st *stored) {
	for key, at := range st.state.Captured {
		b.lockedRestoreClaim(key, st.state.Incident.ID, at)
	}
}

// lockedMerge makes the in-memory incident from continue the stored one
// to: its jobs, reports and group follow.
func (b *book) lockedMerge(from, to *entry) {
	id := from.rec.Incident.ID
	to.jobs += from.jobs
	to.closed, to.resolve = from.closed, from.resolve
	to.rec.Pods = append(to.rec.Pods, from.rec.Pods...)
	to.rec.Undelivered = append(to.rec.Undelivered, from.rec.Undelivered...)
	if to.rec.Incident.Channel == "" {
		to.rec.Incident.Channel = from.rec.Incident.Channel
	}
	to.aliases = append(append(to.aliases, id), from.aliases...)
	for k, v := range from.inflight {
		if to.inflight == nil {
			to.inflight = make(map[string]map[string]string)
		}
		to.inflight[k] = v
	}
	for _, alias := range to.aliases {
		b.aliases[alias] = to.rec.Incident.ID
	}
	delete(b.entries, id)
	if g := from.rec.Incident.GroupKey; b.groups[g] == id {
		b.groups[g] = to.rec.Incident.ID
	}
}

// lockedBind points a job at the incident its ID now stands for: a job of
// an in-memory incident that continues a stored one works on the stored
// one, which it does not announce again.
func (b *book) lockedBind(j job) job {
	to, ok := b.aliases[j.incident.ID]
	if !ok {
		return j
	}
	e := b.entries[to]
	if e == nil {
		return j
	}
	inc := e.rec.Incident
	if j.resolved() {
		inc = resolvedAs(inc, j.incident)
	}
	j.incident, j.opened = inc, false
	return j
}

// adopt checks the store for the job's incident (see book.adopt), and
// reports whether the job continues a stored incident.
func (h *Handler) adopt(ctx context.Context, log *slog.Logger, j job) (job, bool) {
	j, adopted := h.book.adopt(ctx, j, func() *stored { return h.loadStored(ctx, log, j.incident.GroupKey) })
	if adopted {
		inc := j.incident
		log.Info("continuing an incident from the store", "stored_incident", inc.ID, "opened_at", inc.OpenedAt, "thread", !inc.Thread.IsZero())
	}
	return j, adopted
}

// loadStored reads a group's state and, when it holds a firing incident,
// that incident's record; nil when there is no firing incident to continue
// or the state cannot be read.
func (h *Handler) loadStored(ctx context.Context, log *slog.Logger, groupKey string) *stored {
	var st stored
	found, err := h.loadJSON(ctx, groupStateKey(groupKey), &st.state)
	if err != nil {
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("reading the incident state failed; continuing as a new incident", "error", err)
		return nil
	}
	if !found || st.state.Incident.Status != "firing" || st.state.Incident.ID == "" {
		return nil
	}
	if _, err := h.loadJSON(ctx, recordKey(st.state.Incident), &st.rec); err != nil {
		log.Warn("reading the incident record failed", "error", err)
		st.rec = record{}
	}
	return &st
}
