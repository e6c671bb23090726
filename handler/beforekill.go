package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// beforeKill leads a restart's report with the evidence of the instance
// that died: when the pod's restart context reports an OOM kill, it finds
// the latest capture of the pod, else of its workload, taken before the
// kill and within Config.BeforeKillWindow of it (see captureIndex), reads
// its pod report from the incident record, and, when both captures have a
// heap, compares the killed instance's heap with the new one's. fresh is
// the new capture's artifacts.
func (h *Handler) beforeKill(ctx context.Context, log *slog.Logger, t capture.Target, pr *report.PodReport, fresh []report.Artifact) {
	if pr.Kind != capture.KindRestart || h.cfg.BeforeKillWindow <= 0 {
		return
	}
	killed, ok := report.OOMKilled(t.Restart)
	if !ok {
		return
	}
	from := killed.FinishedAt.Add(-h.cfg.BeforeKillWindow)
	in := func(r captureRef) bool { return r.CapturedAt.Before(killed.FinishedAt) && !r.CapturedAt.Before(from) }
	// The pod's own captures first, then its workload's; the latest whose
	// record still holds it (retention may have removed older ones).
	refs := h.capturesIn(ctx, log, podIndexKey(t.Key()), in)
	if t.Workload != "" {
		refs = append(refs, h.capturesIn(ctx, log, workloadIndexKey(t.Namespace, t.Workload), in)...)
	}
	var (
		ref      captureRef
		earlier  report.PodReport
		inc      report.Incident
		recKey   string
		found    bool
		attempts int
	)
	for _, r := range refs {
		if attempts++; attempts > maxRecordReads {
			break
		}
		if earlier, inc, recKey, found = h.capturedReport(ctx, log, r); found {
			ref = r
			break
		}
	}
	if !found {
		log.Info("OOM kill with no capture before it", "container", killed.Container, "killed_at", killed.FinishedAt, "window", h.cfg.BeforeKillWindow)
		return
	}
	samePod := ref.Pod == t.Key()
	bk := report.BeforeKillOf(earlier, inc, killed, samePod, t.Workload)
	bk.RecordKey, bk.RecordLink = recKey, h.deps.Store.Link(recKey)
	if earlier.SummaryKey != "" {
		bk.SummaryLink = h.deps.Store.Link(earlier.SummaryKey)
	}
	for i := range bk.Profiles { // links made now: a presigned one may have expired
		bk.Profiles[i].Link = h.deps.Store.Link(bk.Profiles[i].Key)
		if h.deps.UI != nil {
			bk.Profiles[i].UILink = h.deps.UI.Link(bk.Profiles[i].Key)
		}
	}
	pr.BeforeKill = bk
	log.Info("leading with a capture from before the OOM kill", "earlier_incident", inc.ID, "earlier_pod", ref.Pod, "before", killed.FinishedAt.Sub(ref.CapturedAt))
	h.compareKilled(ctx, log, bk, fresh)
}

// maxRecordReads bounds the incident records one lookup reads.
const maxRecordReads = 4

// capturesIn are the captures the index under key lists that in accepts,
// the latest first.
func (h *Handler) capturesIn(ctx context.Context, log *slog.Logger, key string, in func(captureRef) bool) []captureRef {
	var idx captureIndex
	if _, err := h.loadJSON(ctx, key, &idx); err != nil {
		log.Warn("reading the index of earlier captures failed", "key", key, "error", err)
		return nil
	}
	var out []captureRef
	for _, r := range slices.Backward(idx.Captures) { // kept oldest first
		if in(r) {
			out = append(out, r)
		}
	}
	return out
}

// capturedReport reads the pod report ref points at: from the book while
// its incident is there (its record may not be written yet), else from
// the incident's record in the store.
func (h *Handler) capturedReport(ctx context.Context, log *slog.Logger, ref captureRef) (report.PodReport, report.Incident, string, bool) {
	rec, _, ok := h.book.saved(ref.Incident)
	if !ok {
		found, err := h.loadJSON(ctx, ref.recordKey(), &rec)
		if err != nil || !found {
			log.Warn("reading the record of a capture before the kill failed", "incident", ref.Incident, "found", found, "error", err)
			return report.PodReport{}, report.Incident{}, "", false
		}
	}
	for _, p := range rec.Pods {
		if p.Target == ref.Pod && p.CapturedAt.Equal(ref.CapturedAt) && p.Problem == "" {
			return p, rec.Incident, ref.recordKey(), true
		}
	}
	log.Warn("the record of a capture before the kill does not hold it", "incident", ref.Incident, "pod", ref.Pod)
	return report.PodReport{}, report.Incident{}, "", false
}

// compareKilled compares the killed instance's latest heap snapshot, read
// back from the store, with the new instance's first heap.
func (h *Handler) compareKilled(ctx context.Context, log *slog.Logger, bk *report.BeforeKill, fresh []report.Artifact) {
	var heap []byte
	for _, a := range fresh {
		if a.Name == "heap" && len(a.Data) > 0 {
			heap = a.Data
		}
	}
	if heap == nil || bk.HeapKey == "" {
		return
	}
	killed, err := h.readArtifact(ctx, bk.HeapKey)
	if err == nil {
		err = report.CompareKilled(ctx, bk, killed, heap, h.analysisOptions())
	} else {
		bk.GrowthError = "killed and new heaps not compared: " + err.Error()
	}
	if err != nil {
		h.metrics.failures.WithLabelValues("summarize").Inc()
		log.Warn("comparing the killed heap with the new one failed", "error", err)
	}
}

// readArtifact reads a stored profile back, at most the analysis's cap
// on a decompressed profile (a compressed one is smaller).
func (h *Handler) readArtifact(ctx context.Context, key string) ([]byte, error) {
	limit := h.analysisOptions().MaxDecoded
	if limit <= 0 {
		limit = capture.DefaultMaxDecodedBytes
	}
	rc, err := h.deps.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: %w", key, errArtifactTooLarge)
	}
	return b, nil
}

var errArtifactTooLarge = errors.New("larger than capture.max_decoded_bytes")
