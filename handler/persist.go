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
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// schemaVersion is the version of the records alertprof saves (incident.json
// and the group state). A record without one was written before records
// were versioned, and reads as version 1; a record of a newer version is
// refused rather than misread.
const schemaVersion = 1

// errNewerSchema is wrapped by a load of a record that a newer alertprof
// wrote.
var errNewerSchema = errors.New("written by a newer alertprof")

// record is what incident.json holds: the incident and every pod report
// made for it.
type record struct {
	Schema   int                `json:"schema"`
	Incident report.Incident    `json:"incident"`
	Pods     []report.PodReport `json:"pods"`
	// Undelivered lists notifications that never reached their notifier
	// (Slack down past every retry); the reports themselves are in Pods.
	Undelivered []string `json:"undelivered,omitempty"`
}

// groupState is what the store keeps about one Alertmanager group's
// incident, so that a restarted receiver, or another replica sharing the
// store, continues the same incident and the same thread instead of
// opening new ones.
type groupState struct {
	Schema   int             `json:"schema"`
	Incident report.Incident `json:"incident"`
	// Captured holds when each target was captured in this incident, so
	// the cooldown survives a restart.
	Captured map[string]time.Time `json:"captured,omitempty"`
	// InFlight holds, when replicas share the work, the targets being
	// captured (claimKey -> the alert's labels): a replica that takes the
	// incident over captures them again.
	InFlight map[string]map[string]string `json:"in_flight,omitempty"`
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

// loadJSON reads the record under key into v. It reports false, without
// error, when the key does not exist.
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
	if err := decodeRecord(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

// decodeRecord decodes a saved record after checking its schema version.
func decodeRecord(b []byte, v any) error {
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if head.Schema > schemaVersion {
		return fmt.Errorf("schema %d, and this alertprof reads up to %d: %w", head.Schema, schemaVersion, errNewerSchema)
	}
	return json.Unmarshal(b, v)
}

// saveJSON writes v under key for the incident id.
func (h *Handler) saveJSON(ctx context.Context, log *slog.Logger, id, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return h.putRecord(ctx, log, id, key, b, capture.Meta{})
}

// writeRecord writes incident.json for id as the book holds it now, with
// the artifacts uploaded since no longer marked pending; nothing once the
// incident is forgotten. It reports whether the book held the incident.
func (h *Handler) writeRecord(ctx context.Context, log *slog.Logger, id string) bool {
	defer h.book.lockPersist(id)()
	rec, _, ok := h.book.saved(id)
	if !ok {
		return false
	}
	h.clearLanded(&rec)
	inc := rec.Incident
	b, err := json.MarshalIndent(rec, "", "  ")
	if err == nil {
		meta := capture.Meta{Incident: inc.ID, AlertName: inc.AlertName, Profile: "incident"}
		err = h.putRecord(ctx, log, id, recordKey(inc), b, meta)
	}
	h.recordWritten(log, "writing the incident record", err)
	return true
}

// recordWritten logs and counts the outcome of a record write. A write
// kept in the store's spool is not a failure: it is uploaded when the
// store is back (the store counts it as pending).
func (h *Handler) recordWritten(log *slog.Logger, what string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, capture.ErrPending):
		log.Debug(what+": kept in the spool, upload pending", "error", err)
	default:
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error(what+" failed", "error", err)
	}
}

// saveGroupState persists incident id of a group with the targets it has
// captured; nothing once the incident is forgotten.
func (h *Handler) saveGroupState(ctx context.Context, log *slog.Logger, id string) {
	defer h.book.lockPersist(id)()
	_, st, ok := h.book.saved(id)
	if !ok {
		return
	}
	h.recordWritten(log, "saving the incident state", h.saveJSON(ctx, log, id, groupStateKey(st.Incident.GroupKey), st))
}

// persist writes the incident's record and group state at the end of a job.
func (h *Handler) persist(ctx context.Context, log *slog.Logger, id string) {
	h.writeRecord(ctx, log, id)
	h.saveGroupState(ctx, log, id)
}
