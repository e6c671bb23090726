package handler

import (
	"time"

	"github.com/prometheus/alertmanager/template"
)

// The book's part in sharing incidents with other replicas.

// lostVersion marks a record another replica wrote since this one did.
const lostVersion = "\x00lost"

// leave closes the incident id: another replica works on it. It is
// forgotten once its last job ends.
func (b *book) leave(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return
	}
	e.closed = true
	if g := e.rec.Incident.GroupKey; b.groups[g] == e.rec.Incident.ID {
		delete(b.groups, g)
	}
}

// hasGroup reports whether the book works on an incident of group.
func (b *book) hasGroup(group string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.groups[group]
	return ok
}

// openGroups are the groups whose incident the book works on.
func (b *book) openGroups() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.groups))
	for g := range b.groups {
		out = append(out, g)
	}
	return out
}

// takeOverStored puts a stored incident, whose holder is gone, in the
// book with one job running for it, unless the book has the group or the
// incident already. The job captures the targets the holder was capturing.
func (b *book) takeOverStored(st *stored, now time.Time) (job, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inc := st.state.Incident
	if _, ok := b.groups[inc.GroupKey]; ok || b.entries[inc.ID] != nil || b.forgotten.has(inc.ID) {
		return job{}, false
	}
	e := b.lockedTakeOver(st)
	e.jobs = 1
	b.groups[inc.GroupKey] = inc.ID
	b.lockedRestoreClaims(st)
	alerts := e.pending
	e.pending = nil
	return job{incident: inc, received: now, alerts: alerts, takeover: true}, true
}

// takePending returns alerts with the alerts of the targets the incident
// id was being captured for when it was taken over, once.
func (b *book) takePending(id string, alerts []template.Alert) []template.Alert {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return alerts
	}
	alerts = append(alerts, e.pending...)
	e.pending = nil
	return alerts
}

// pendingAlerts are the alerts of the targets a stored incident was
// being captured for, not captured since.
func (st *stored) pendingAlerts() []template.Alert {
	var out []template.Alert
	for key, labels := range st.state.InFlight {
		if _, done := st.state.Captured[key]; done {
			continue
		}
		out = append(out, template.Alert{Status: "firing", Labels: labels})
	}
	return out
}

// capturing records that the incident id captures the target of key for
// the alert with labels.
func (b *book) capturing(id, key string, labels map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil {
		if e.inflight == nil {
			e.inflight = make(map[string]map[string]string)
		}
		e.inflight[key] = labels
	}
}

// reported ends what capturing recorded: the target's report is in.
func (b *book) reported(id, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil {
		delete(e.inflight, key)
	}
}

// version is the version of the incident id's record key in the shared
// store, and whether it is known.
func (b *book) version(id, key string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return "", false
	}
	v, ok := e.versions[key]
	return v, ok
}

func (b *book) setVersion(id, key, v string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil {
		if e.versions == nil {
			e.versions = make(map[string]string)
		}
		e.versions[key] = v
	}
}
