package handler

import (
	"bytes"
	"context"
	"encoding/json"
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
}

// records keeps the incident records of open incidents in memory; each
// job writes its incident's record to the store when it ends.
type records struct {
	mu sync.Mutex
	m  map[string]*record
}

func newRecords() *records { return &records{m: make(map[string]*record)} }

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
		rec.Incident = inc
	} else {
		r.m[inc.ID] = &record{Incident: inc}
	}
}

func (r *records) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, id)
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
	inc, b, err := h.records.encode(id)
	if b == nil && err == nil {
		return
	}
	if err == nil {
		err = h.deps.Store.Put(ctx, capture.IncidentPrefix(inc.OpenedAt, inc.ID)+"/incident.json", bytes.NewReader(b))
	}
	if err != nil {
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("writing the incident record failed", "error", err)
	}
}
