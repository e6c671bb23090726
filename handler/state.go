package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// groupState is what the store keeps about one Alertmanager group's
// incident, so that a restarted receiver, or another replica sharing the
// store, continues the same incident and the same thread instead of
// opening new ones.
type groupState struct {
	Incident report.Incident `json:"incident"`
	// Captured holds when each target was captured in this incident, so
	// the cooldown survives a restart.
	Captured map[string]time.Time `json:"captured,omitempty"`
}

// maxStateBytes bounds what is read back from the store.
const maxStateBytes = 4 << 20

func groupStateKey(groupKey string) string {
	sum := sha256.Sum256([]byte(groupKey))
	return "state/groups/" + hex.EncodeToString(sum[:16]) + ".json"
}

func recordKey(inc report.Incident) string {
	return capture.IncidentPrefix(inc.OpenedAt, inc.ID) + "/incident.json"
}

// loadJSON reads key into v. It reports false, without error, when the
// key does not exist.
func (h *Handler) loadJSON(ctx context.Context, key string, v any) (bool, error) {
	rc, err := h.deps.Store.Get(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxStateBytes+1))
	if err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	if len(b) > maxStateBytes {
		return false, fmt.Errorf("read %s: larger than %d bytes", key, maxStateBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

func (h *Handler) saveJSON(ctx context.Context, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return h.deps.Store.Put(ctx, key, b, capture.Meta{})
}

// saveGroupState persists incident id of a group with the targets it has
// captured; nothing once the incident is forgotten.
func (h *Handler) saveGroupState(ctx context.Context, log *slog.Logger, id string) {
	defer h.records.lockPersist(id)()
	inc := h.records.incident(id)
	if inc.ID == "" {
		return
	}
	st := groupState{Incident: inc, Captured: h.records.captured(inc.ID)}
	if err := h.saveJSON(ctx, groupStateKey(inc.GroupKey), st); err != nil {
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("saving the incident state failed", "error", err)
	}
}

// adoption remembers which groups were checked against the store, and
// which in-memory incidents were replaced by a stored one.
type adoption struct {
	mu      sync.Mutex
	checked map[string]bool            // group keys already looked up
	aliases map[string]report.Incident // in-memory incident ID -> stored incident
}

func newAdoption() *adoption {
	return &adoption{checked: map[string]bool{}, aliases: map[string]report.Incident{}}
}

// adopt reconciles a job's incident with the store the first time this
// process sees its group: if the store holds a firing incident for the
// group, the job continues that incident (its ID, thread and captured
// targets) instead of the one the webhook opened in memory. It returns the
// incident the job must use (ID "" when a resolve matches no incident), and
// whether the job must still announce it as opened.
func (h *Handler) adopt(ctx context.Context, log *slog.Logger, j job) (report.Incident, bool) {
	a := h.adoption
	a.mu.Lock()
	defer a.mu.Unlock()
	withStatus := func(inc report.Incident) report.Incident {
		if j.resolved() {
			inc.Status, inc.ResolvedAt = "resolved", j.incident.ResolvedAt
		}
		return inc
	}
	if inc, ok := a.aliases[j.incident.ID]; ok {
		return withStatus(inc), false
	}
	if a.checked[j.incident.GroupKey] {
		return j.incident, j.opened
	}
	a.checked[j.incident.GroupKey] = true

	var st groupState
	found, err := h.loadJSON(ctx, groupStateKey(j.incident.GroupKey), &st)
	if err != nil {
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("reading the incident state failed; continuing as a new incident", "error", err)
		return j.incident, j.opened
	}
	if !found || st.Incident.Status != "firing" || st.Incident.ID == "" {
		return j.incident, j.opened
	}
	inc := st.Incident
	log.Info("continuing an incident from the store", "stored_incident", inc.ID, "opened_at", inc.OpenedAt, "thread", !inc.Thread.IsZero())
	a.aliases[j.incident.ID] = inc
	h.incidents.replace(j.incident.GroupKey, j.incident.ID, inc)
	for target, at := range st.Captured {
		h.incidents.restoreClaim(target, at)
	}
	var rec record
	if ok, err := h.loadJSON(ctx, recordKey(inc), &rec); err != nil {
		log.Warn("reading the incident record failed", "error", err)
	} else if ok {
		h.records.restore(inc, rec.Pods)
	}
	h.records.open(inc)
	return withStatus(inc), false
}

// forgetGroup drops what adoption knows of a group once its incident is
// resolved.
func (a *adoption) forgetGroup(groupKey string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.checked, groupKey)
	for id, inc := range a.aliases {
		if inc.GroupKey == groupKey {
			delete(a.aliases, id)
		}
	}
}

// replace swaps the open incident of a group, if it is still the one with
// id, for inc.
func (s *incidents) replace(groupKey, id string, inc report.Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.open[groupKey]; ok && cur.ID == id {
		c := inc
		s.open[groupKey] = &c
	}
}

// restoreClaim records a capture made before a restart.
func (s *incidents) restoreClaim(target string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.captured[target]) {
		s.captured[target] = at
	}
}

// incident returns the record's incident, with its thread.
func (r *records) incident(id string) report.Incident {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[id]; ok {
		return rec.Incident
	}
	return report.Incident{}
}

// undelivered notes a notification that failed for good.
func (r *records) undelivered(id, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[id]; ok && len(rec.Undelivered) < 100 {
		rec.Undelivered = append(rec.Undelivered, what)
	}
}

// captured derives, from the pod reports, when each target of an incident
// was captured.
func (r *records) captured(id string) map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.m[id]
	if !ok {
		return nil
	}
	out := make(map[string]time.Time)
	for _, p := range rec.Pods {
		if p.Problem == "" && p.CapturedAt.After(out[p.Target]) {
			out[p.Target] = p.CapturedAt
		}
	}
	return out
}

// restore puts back the pod reports an earlier process made.
func (r *records) restore(inc report.Incident, pods []report.PodReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.m[inc.ID]
	if !ok {
		rec = &record{Incident: inc}
		r.m[inc.ID] = rec
	}
	rec.Pods = append(pods, rec.Pods...)
}
