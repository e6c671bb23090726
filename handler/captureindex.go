package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// maxIndexed bounds the captures one index keeps, the latest ones.
const maxIndexed = 32

// captureRef points at one pod's capture in an incident's record.
type captureRef struct {
	Incident   string    `json:"incident"`
	OpenedAt   time.Time `json:"opened_at"` // dates the record's key
	Pod        string    `json:"pod"`       // the target's key, namespace/pod
	CapturedAt time.Time `json:"captured_at"`
}

func (r captureRef) recordKey() string {
	return recordKey(report.Incident{ID: r.Incident, OpenedAt: r.OpenedAt})
}

// captureIndex lists the latest captures of one pod, or of one workload's
// pods, so that a later report finds them without listing the store: the
// evidence itself stays in the incident records they point at. The store
// keeps one per pod and one per workload (namespace and owner).
type captureIndex struct {
	Schema   int          `json:"schema"`
	Captures []captureRef `json:"captures"`
}

func podIndexKey(target string) string { return "state/captures/pods/" + hashKey(target) + ".json" }

func workloadIndexKey(namespace, workload string) string {
	return "state/captures/workloads/" + hashKey(namespace+"/"+workload) + ".json"
}

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// indexCapture adds a pod's capture to the index of its pod and of its
// workload. Only Kubernetes pods (those with a workload) are indexed:
// restarts are seen only there. A report without stored artifacts is not
// indexed either. Writes are
// serialized in this process; two replicas capture one pod only under
// its claim, and a lost update of a workload's index loses one entry of
// it, never a record.
func (h *Handler) indexCapture(ctx context.Context, log *slog.Logger, inc report.Incident, t capture.Target, pr report.PodReport) {
	if t.Workload == "" || pr.Problem != "" || !slices.ContainsFunc(pr.Profiles, func(p report.ProfileReport) bool { return p.Key != "" }) {
		return
	}
	ref := captureRef{Incident: inc.ID, OpenedAt: inc.OpenedAt, Pod: t.Key(), CapturedAt: pr.CapturedAt}
	keys := []string{podIndexKey(t.Key())}
	if t.Workload != "Pod/"+t.Pod { // a pod without a controller is its own workload
		keys = append(keys, workloadIndexKey(t.Namespace, t.Workload))
	}
	h.indexMu.Lock()
	defer h.indexMu.Unlock()
	for _, key := range keys {
		var idx captureIndex
		if _, err := h.loadJSON(ctx, key, &idx); err != nil {
			log.Warn("reading the index of captures failed; starting it anew", "key", key, "error", err)
			idx = captureIndex{}
		}
		idx.Schema = schemaVersion
		idx.Captures = addRef(idx.Captures, ref)
		h.recordWritten(log, "saving the index of captures", h.saveIndex(ctx, key, idx))
	}
}

// addRef adds ref to refs, oldest first, keeping the latest maxIndexed.
func addRef(refs []captureRef, ref captureRef) []captureRef {
	refs = append(refs, ref)
	slices.SortStableFunc(refs, func(a, b captureRef) int { return a.CapturedAt.Compare(b.CapturedAt) })
	if n := len(refs) - maxIndexed; n > 0 {
		refs = slices.Delete(refs, 0, n)
	}
	return refs
}

// saveIndex writes an index of captures. It is not an incident's record:
// replicas may both add to it, and the last write wins (an entry lost so
// only hides an older capture from the before-the-kill lookup).
func (h *Handler) saveIndex(ctx context.Context, key string, idx captureIndex) error {
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return h.deps.Store.Put(ctx, key, b, capture.Meta{})
}
