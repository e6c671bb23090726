package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/alertprof/alertprof/report"
)

// reportNote tells people, in one line in the incident's thread, why an
// alert or a target is not captured, once per alert or target within the
// cooldown (a note on the cooldown itself was counted once already, when
// it was decided).
func (h *Handler) reportNote(ctx context.Context, log *slog.Logger, j job, n note) {
	var pr report.PodReport
	switch {
	case n.err != nil:
		h.metrics.skipped.WithLabelValues("no_target").Inc()
		if !h.book.once("problem/"+n.alert.Fingerprint+"/"+n.alert.Labels["instance"], h.deps.Now()) {
			return
		}
		log.Warn("alert has no usable target", "fingerprint", n.alert.Fingerprint, "error", n.err)
		pr = report.PodReport{Target: alertPodName(n.alert), AlertName: alertName(n.alert), Annotations: podAnnotations(n.alert),
			CapturedAt: h.deps.Now(), Problem: n.err.Error()}
	case n.cooled != "":
		h.metrics.skipped.WithLabelValues("cooldown").Inc()
		target, kind := splitClaimKey(n.cooled)
		log.Info("target captured recently for another incident; not capturing it again", "target", target, "kind", kind)
		pr = h.skipReport(n.alert, n.target)
		pr.Target, pr.Kind = target, kind
		if n.target.Pod == "" { // decided on arrival, from the alert's labels
			pr.Name = alertPodName(n.alert)
		}
		pr.Problem = h.cooldownProblem(n.cooled, h.deps.Now())
	case n.holder != "":
		h.metrics.skipped.WithLabelValues("in_flight").Inc()
		if !h.book.once("busy/"+n.target.Key(), h.deps.Now()) {
			return
		}
		log.Info("target is being captured by another job; not capturing it twice at once", "target", n.target.Key(), "holder", n.holder)
		pr = h.skipReport(n.alert, n.target)
		pr.Problem = fmt.Sprintf("not captured: being captured right now by %s (two profiles of one process at once disturb each other); that capture's report has the evidence", n.holder)
	default:
		h.metrics.skipped.WithLabelValues("no_target").Inc()
		if !h.book.once("skip/"+n.target.Key(), h.deps.Now()) {
			return
		}
		log.Info("pod not captured", "target", n.target.Key(), "reason", n.target.Skip)
		pr = h.skipReport(n.alert, n.target)
	}
	h.book.add(j.incident.ID, pr)
	h.notify(ctx, log, report.Event{Kind: report.Captured, Incident: j.incident, Pod: &pr})
}

// cooldownProblem says why the target of claimKey key is not captured
// again: when and in which incident it was captured, and where that
// capture's evidence is.
func (h *Handler) cooldownProblem(key string, now time.Time) string {
	_, kind := splitClaimKey(key)
	m, ok := h.book.mark(key, now)
	if !ok || m.incident == "" {
		return fmt.Sprintf("not captured again: captured for a %s alert within capture.cooldown (%s)", kind, h.cfg.Cooldown)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "not captured again: captured %s ago in incident %s for a %s alert (capture.cooldown %s: one capture per pod and alert kind)",
		now.Sub(m.at).Round(time.Second), m.incident, kind, h.cfg.Cooldown)
	if m.done == nil {
		b.WriteString("; that capture reports in its incident's thread")
		return b.String()
	}
	var links []string
	if m.done.summary != "" {
		links = append(links, "summary "+h.deps.Store.Link(m.done.summary))
	}
	for _, p := range m.done.profiles {
		links = append(links, p.Name+" "+h.deps.Store.Link(p.Key))
	}
	if len(links) > 0 {
		b.WriteString("; its evidence: " + strings.Join(links, ", "))
	}
	return b.String()
}

// cooldownNoteKey names the one note per incident and cooldown that the
// cooldown of claimKey key keeps a target of incident from being captured.
func cooldownNoteKey(incident, key string) string { return "cooldown/" + incident + "/" + key }

// splitClaimKey returns the target and the kind of a claimKey.
func splitClaimKey(key string) (target, kind string) {
	i := strings.LastIndex(key, "|")
	return key[:i], key[i+1:]
}
