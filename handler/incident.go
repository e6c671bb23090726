package handler

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"

	"github.com/alertprof/alertprof/report"
)

// incidents tracks open incidents by group key, and when each target was
// last captured, so that re-sends of a group never capture a pod twice
// within the cooldown.
type incidents struct {
	mu       sync.Mutex
	open     map[string]*report.Incident
	captured map[string]time.Time
	cooldown time.Duration
}

func newIncidents(cooldown time.Duration) *incidents {
	return &incidents{
		open:     make(map[string]*report.Incident),
		captured: make(map[string]time.Time),
		cooldown: cooldown,
	}
}

// observe applies a notification to the incident state and returns a copy
// of the incident it belongs to, and whether it was opened by this
// notification. A resolved notification closes the incident. A resolved
// notification for a group with no open incident in memory returns an
// incident with no ID: the job looks for one in the store, in case this
// process restarted while the incident was open. The caller holds mu.
func (s *incidents) observe(msg *webhook.Message, now time.Time) (inc report.Incident, opened bool) {
	cur, exists := s.open[msg.GroupKey]
	if msg.Status == "resolved" {
		if !exists {
			gone := newIncident(msg, now)
			gone.ID, gone.Status, gone.ResolvedAt = "", "resolved", now
			return *gone, false
		}
		delete(s.open, msg.GroupKey)
		cur.Status = "resolved"
		cur.ResolvedAt = now
		return *cur, false
	}
	if !exists {
		cur = newIncident(msg, now)
		s.open[msg.GroupKey] = cur
		opened = true
	}
	return *cur, opened
}

func newIncident(msg *webhook.Message, now time.Time) *report.Incident {
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
	// The ID sorts by time and is unique: the same group can fire again
	// within a second, and replicas open incidents independently.
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return &report.Incident{
		ID:           fmt.Sprintf("%s-%x", now.UTC().Format("20060102T150405Z"), rnd),
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

// claim reports whether target may be captured now, and if so records the
// capture. A target captured within the cooldown is refused.
func (s *incidents) claim(target string, now time.Time) (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.captured[target]; ok && now.Sub(last) < s.cooldown {
		return false, last
	}
	s.captured[target] = now
	// Forget captures older than the cooldown so the map stays bounded by
	// the pods captured in one cooldown window.
	for k, t := range s.captured {
		if now.Sub(t) >= s.cooldown {
			delete(s.captured, k)
		}
	}
	return true, time.Time{}
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
