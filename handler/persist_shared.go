package handler

import (
	"context"
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
