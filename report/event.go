package report

import (
	"time"
)

// Incident describes one firing episode of one Alertmanager group, as the
// notifiers show it.
type Incident struct {
	ID          string            `json:"id"`
	GroupKey    string            `json:"group_key"`
	Status      string            `json:"status"` // "firing" or "resolved"
	AlertName   string            `json:"alertname"`
	Severity    string            `json:"severity,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	ExternalURL string            `json:"external_url,omitempty"`
	StartsAt    time.Time         `json:"starts_at"`
	OpenedAt    time.Time         `json:"opened_at"`
	ResolvedAt  time.Time         `json:"resolved_at,omitzero"`
}

// ProfileReport is the outcome of one profile of one pod.
type ProfileReport struct {
	Name     string        `json:"name"`
	Key      string        `json:"key,omitempty"`
	Link     string        `json:"link,omitempty"`
	Bytes    int           `json:"bytes,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Summary  *Summary      `json:"summary,omitempty"`
	// Error says in words why the profile is missing; empty on success.
	Error string `json:"error,omitempty"`
}

// PodReport is the evidence for one captured pod, or, when Problem is set,
// the reason nothing could be captured for an alert.
type PodReport struct {
	Target     string          `json:"target"`
	Address    string          `json:"address,omitempty"`
	AlertName  string          `json:"alertname"`
	CapturedAt time.Time       `json:"captured_at"`
	Profiles   []ProfileReport `json:"profiles,omitempty"`
	SummaryKey string          `json:"summary_key,omitempty"`
	Problem    string          `json:"problem,omitempty"`
}

// EventKind says what happened to an incident.
type EventKind int

// The events a notifier is told about.
const (
	// Opened: the first firing notification of a group arrived.
	Opened EventKind = iota
	// Captured: one pod's evidence is ready (or Pod.Problem says why not).
	Captured
	// Resolved: the whole group resolved.
	Resolved
)

func (k EventKind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Captured:
		return "captured"
	case Resolved:
		return "resolved"
	}
	return "unknown"
}

// Event is one thing a notifier posts: the incident, and for Captured the
// pod's report.
type Event struct {
	Kind     EventKind
	Incident Incident
	Pod      *PodReport
}
