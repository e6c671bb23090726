package handler

import (
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"

	"github.com/alertprof/alertprof/report"
)

// newIncident is the incident a firing notification opens.
func newIncident(msg *webhook.Message, now time.Time) report.Incident {
	labels := map[string]string(msg.CommonLabels)
	if len(labels) == 0 && len(msg.Alerts) > 0 {
		labels = msg.Alerts[0].Labels
	}
	starts, generator := now, ""
	for _, a := range msg.Alerts {
		if generator == "" {
			generator = a.GeneratorURL
		}
		if !a.StartsAt.IsZero() && a.StartsAt.Before(starts) {
			starts = a.StartsAt
		}
	}
	return report.Incident{
		ID:           newIncidentID(now),
		GroupKey:     msg.GroupKey,
		Status:       "firing",
		AlertName:    labels["alertname"],
		Severity:     labels["severity"],
		Labels:       copyKV(labels),
		Annotations:  copyKV(msg.CommonAnnotations),
		ExternalURL:  msg.ExternalURL,
		GeneratorURL: generator,
		StartsAt:     starts,
		OpenedAt:     now,
	}
}

// resolvedBy is inc resolved by the notification msg, received at now:
// EndsAt is the latest endsAt of its resolved alerts, and StartsAt goes
// back to the earliest startsAt among them, so that the duration shown is
// how long the alerts fired, not how far apart the notifications came.
func resolvedBy(inc report.Incident, msg *webhook.Message, now time.Time) report.Incident {
	inc.Status, inc.ResolvedAt = "resolved", now
	for _, a := range msg.Alerts.Resolved() {
		if a.EndsAt.After(inc.EndsAt) {
			inc.EndsAt = a.EndsAt
		}
		if !a.StartsAt.IsZero() && a.StartsAt.Before(inc.StartsAt) {
			inc.StartsAt = a.StartsAt
		}
	}
	return inc
}

// resolvedAs is the stored incident inc resolved as by says (see
// resolvedBy).
func resolvedAs(inc, by report.Incident) report.Incident {
	inc.Status, inc.ResolvedAt, inc.EndsAt = "resolved", by.ResolvedAt, by.EndsAt
	if !by.StartsAt.IsZero() && by.StartsAt.Before(inc.StartsAt) {
		inc.StartsAt = by.StartsAt
	}
	return inc
}

// addNames adds the names not in list yet, keeping at most
// maxIncidentTargets.
func addNames(list, names []string) []string {
	for _, n := range names {
		if len(list) < maxIncidentTargets && !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	return list
}

// newIncidentID names an incident, an alert's or a capture on demand's
// (whose capture ID it also is). The ID sorts by time and is unique: the
// same group can fire again within a second, and replicas open incidents
// independently. Its first 16 characters are the time it dates the
// incident's keys with (see storedCapture).
func newIncidentID(now time.Time) string {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return fmt.Sprintf("%s-%x", now.UTC().Format("20060102T150405Z"), rnd)
}

// maxIncidentTargets bounds the targets an incident lists.
const maxIncidentTargets = 20

func copyKV(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
