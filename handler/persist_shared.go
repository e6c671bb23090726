package handler

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/alertprof/alertprof/capture"
)

// putRecord writes a record of the incident id (its incident.json, its
// group's state) under key. Alone, a plain Put. Shared with other
// replicas, a conditional write: the first write of this replica creates
// the record if it does not exist, or replaces the version it reads just
// before; every later one replaces only the version this replica wrote
// last. A record another replica wrote since is left to it: this replica
// counts the incident lost and no longer writes that record. The caller
// holds the incident's persist lock, so that one replica's writes of one
// record never race each other.
func (h *Handler) putRecord(ctx context.Context, log *slog.Logger, id, key string, data []byte, meta capture.Meta) error {
	if !h.coordinated() {
		return h.deps.Store.Put(ctx, key, data, meta)
	}
	match, known := h.book.version(id, key)
	if match == lostVersion {
		log.Debug("not writing a record another replica has written since", "key", key)
		return nil
	}
	if !known {
		_, v, err := h.deps.Shared.GetVersion(ctx, key, maxStateBytes)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v = ""
		case err != nil:
			return err
		}
		match = v
	}
	v, err := h.deps.Shared.PutIf(ctx, key, data, meta, match)
	if errors.Is(err, capture.ErrConflict) {
		h.book.setVersion(id, key, lostVersion)
		h.coordm.lost.WithLabelValues(capture.ClaimIncident).Inc()
		log.Warn("another replica wrote this incident's record since this one did; leaving the record to it", "key", key)
		return nil
	}
	if err != nil {
		return err
	}
	h.book.setVersion(id, key, v)
	return nil
}

// refreshSharedRecord is refreshStoredRecord with other replicas: only a
// resolved incident's record is rewritten (an open one's holder, maybe
// another replica, rewrites it itself, and a write from here would fence
// it off its own record), and only if nobody wrote it since it was read.
func (h *Handler) refreshSharedRecord(ctx context.Context, log *slog.Logger, key string) {
	data, v, err := h.deps.Shared.GetVersion(ctx, key, maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var rec record
	if err == nil {
		err = decodeRecord(data, &rec)
	}
	if err != nil {
		log.Warn("reading the incident record to clear its pending uploads failed", "error", err)
		return
	}
	if rec.Incident.Status != "resolved" || !h.clearLanded(&rec) {
		return
	}
	rec.Schema = schemaVersion
	b, err := json.MarshalIndent(rec, "", "  ")
	if err == nil {
		meta := capture.Meta{Incident: rec.Incident.ID, AlertName: rec.Incident.AlertName, Profile: "incident"}
		_, err = h.deps.Shared.PutIf(ctx, key, b, meta, v)
	}
	if errors.Is(err, capture.ErrConflict) {
		log.Debug("the incident record changed while its pending uploads were cleared; left as it is", "key", key)
		return
	}
	h.recordWritten(log, "rewriting the incident record after its uploads", err)
}
