package handler

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/alertprof/alertprof/capture"
)

// spooler is a Store with a local spool: Waiting reports whether key's
// upload is still pending. A record marks such artifacts pending until
// they land.
type spooler interface{ Waiting(key string) bool }

// Uploaded tells the handler that artifacts whose upload was pending have
// landed in the store (key to the metadata they were stored with). The
// records of their incidents are rewritten without "pending": from the
// book while the incident is in it, else from the store.
func (h *Handler) Uploaded(ctx context.Context, landed map[string]capture.Meta) {
	byIncident := make(map[string]string) // incident ID -> one of its landed keys
	for key, m := range landed {
		if m.Incident != "" && m.Profile != "incident" && !strings.HasPrefix(key, "state/") {
			byIncident[m.Incident] = key
		}
	}
	for id, key := range byIncident {
		log := h.log.With("incident", id)
		if h.writeRecord(ctx, log, id) {
			continue
		}
		h.refreshStoredRecord(ctx, id, key)
	}
}

// refreshStoredRecord rewrites the stored incident.json of a forgotten
// incident when some of its artifacts no longer wait for upload. key is
// one of the incident's artifacts, which names its record's place.
func (h *Handler) refreshStoredRecord(ctx context.Context, id, key string) {
	log := h.log.With("incident", id)
	cut := strings.Index(key, "/"+id+"/")
	if cut < 0 {
		return
	}
	recKey := key[:cut+len(id)+1] + "/incident.json"
	if h.coordinated() {
		h.refreshSharedRecord(ctx, log, recKey)
		return
	}
	var rec record
	found, err := h.loadJSON(ctx, recKey, &rec)
	if err != nil {
		log.Warn("reading the incident record to clear its pending uploads failed", "error", err)
		return
	}
	if !found || !h.clearLanded(&rec) {
		return
	}
	rec.Schema = schemaVersion
	b, err := json.MarshalIndent(rec, "", "  ")
	if err == nil {
		meta := capture.Meta{Incident: rec.Incident.ID, AlertName: rec.Incident.AlertName, Profile: "incident"}
		err = h.deps.Store.Put(ctx, recKey, b, meta)
	}
	h.recordWritten(log, "rewriting the incident record after its uploads", err)
}

// clearLanded unmarks, in rec, the artifacts that no longer wait in the
// store's spool, and reports whether it changed anything. The pod reports
// it changes are copied first: rec may share them with the book.
func (h *Handler) clearLanded(rec *record) bool {
	sp, ok := h.deps.Store.(spooler)
	if !ok {
		return false
	}
	changed := false
	for i := range rec.Pods {
		profiles := rec.Pods[i].Profiles
		copied := false
		for j, p := range profiles {
			if !p.Pending || sp.Waiting(p.Key) {
				continue
			}
			if !copied {
				profiles = slices.Clone(profiles)
				rec.Pods[i].Profiles = profiles
				copied = true
			}
			profiles[j].Pending = false
			changed = true
		}
		if f := rec.Pods[i].Flame; f != nil && f.Pending && !sp.Waiting(f.Key) {
			landed := *f
			landed.Pending = false
			rec.Pods[i].Flame = &landed
			changed = true
		}
	}
	return changed
}
