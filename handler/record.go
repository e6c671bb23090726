package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// record is what incident.json holds: the incident and every pod report
// made for it.
type record struct {
	Incident report.Incident    `json:"incident"`
	Pods     []report.PodReport `json:"pods"`
	// Undelivered lists notifications that never reached their notifier
	// (Slack down past every retry); the reports themselves are in Pods.
	Undelivered []string `json:"undelivered,omitempty"`
}

// records keeps the incident records of open incidents in memory; each
// job writes its incident's record to the store when it ends.
type records struct {
	mu     sync.Mutex
	m      map[string]*record
	notify map[string]*sync.Mutex // serializes each incident's notifications
	// persist serializes each incident's writes to the store, so that what
	// lands last is what memory held last: a capture job that read its
	// incident as firing cannot overwrite the resolve job's write.
	persist map[string]*sync.Mutex
}

func newRecords() *records {
	return &records{m: make(map[string]*record), notify: make(map[string]*sync.Mutex), persist: make(map[string]*sync.Mutex)}
}

func (r *records) open(inc report.Incident) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[inc.ID]; !ok {
		r.m[inc.ID] = &record{Incident: inc}
	}
}

func (r *records) add(id string, pr report.PodReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[id]; ok {
		rec.Pods = append(rec.Pods, pr)
	}
}

func (r *records) resolve(inc report.Incident) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[inc.ID]; ok {
		th := rec.Incident.Thread
		rec.Incident = inc
		if inc.Thread.IsZero() {
			rec.Incident.Thread = th
		}
	} else {
		r.m[inc.ID] = &record{Incident: inc}
	}
}

// lockNotify serializes notifications of one incident and returns the
// unlock function.
func (r *records) lockNotify(id string) func() { return r.lockIn(r.notify, id) }

// lockPersist serializes the store writes of one incident (its record and
// its group state) and returns the unlock function. Each writer reads the
// incident from memory while holding it.
func (r *records) lockPersist(id string) func() { return r.lockIn(r.persist, id) }

func (r *records) lockIn(locks map[string]*sync.Mutex, id string) func() {
	r.mu.Lock()
	mu, ok := locks[id]
	if !ok {
		mu = new(sync.Mutex)
		locks[id] = mu
	}
	r.mu.Unlock()
	mu.Lock()
	return mu.Unlock
}

func (r *records) thread(id string) report.Thread {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[id]; ok {
		return rec.Incident.Thread
	}
	return report.Thread{}
}

func (r *records) setThread(id string, th report.Thread) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec, ok := r.m[id]; ok {
		rec.Incident.Thread = th
	}
}

func (r *records) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, id)
	delete(r.notify, id)
	delete(r.persist, id)
}

// encode returns incident.json for id, or nil when the incident is unknown.
func (r *records) encode(id string) (report.Incident, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.m[id]
	if !ok {
		return report.Incident{}, nil, nil
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	return rec.Incident, b, err
}

func (h *Handler) writeRecord(ctx context.Context, log *slog.Logger, id string) {
	defer h.records.lockPersist(id)()
	inc, b, err := h.records.encode(id)
	if b == nil && err == nil {
		return
	}
	if err == nil {
		meta := capture.Meta{Incident: inc.ID, AlertName: inc.AlertName, Profile: "incident"}
		err = h.deps.Store.Put(ctx, capture.IncidentPrefix(inc.OpenedAt, inc.ID)+"/incident.json", b, meta)
	}
	if err != nil && !errors.Is(err, capture.ErrPending) { // pending: spooled, uploaded later
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("writing the incident record failed", "error", err)
	}
}
