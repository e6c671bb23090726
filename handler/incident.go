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
	var targets []string
	for _, a := range msg.Alerts {
		if t := cmpOr(a.Labels["pod"], a.Labels["instance"]); t != "" && len(targets) < maxIncidentTargets && !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
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
		Targets:      targets,
		StartsAt:     starts,
		OpenedAt:     now,
	}
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

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func copyKV(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
