package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/memory"
	"github.com/alertprof/alertprof/report/pprof"
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
	// Targets names the incident's pods as its pod reports do (see
	// PodReport.Name), at most maxIncidentTargets of them.
	Targets []string `json:"targets,omitempty"`
	// GeneratorURL links to the rule that fired (the first alert's).
	GeneratorURL string    `json:"generator_url,omitempty"`
	StartsAt     time.Time `json:"starts_at"`
	OpenedAt     time.Time `json:"opened_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	// EndsAt is the latest endsAt of the group's alerts in the notification
	// that resolved it; zero while firing or when Alertmanager sent none.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Channel is the Slack channel the incident's pods ask for in their
	// alertprof.io/slack-channel annotation; it wins over the routes.
	Channel string `json:"channel,omitempty"`
	// Thread is where the incident's messages go, once a notifier has
	// opened one (the Slack parent message).
	Thread Thread `json:"thread,omitzero"`
}

// FiredFor is how long a resolved incident's alerts fired: from the
// earliest startsAt to the latest endsAt of the group's alerts, as
// Alertmanager dated them, or, when it sent no end, between the
// notifications that opened and resolved it. It is zero while firing.
func (inc Incident) FiredFor() time.Duration {
	switch {
	case inc.ResolvedAt.IsZero():
		return 0
	case !inc.EndsAt.IsZero() && !inc.StartsAt.IsZero() && !inc.EndsAt.Before(inc.StartsAt):
		return inc.EndsAt.Sub(inc.StartsAt)
	}
	return inc.ResolvedAt.Sub(inc.OpenedAt)
}

// Thread identifies a notifier's thread for an incident: for Slack, the
// channel and the parent message's timestamp.
type Thread struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
}

// IsZero reports whether no thread exists yet.
func (t Thread) IsZero() bool { return t.Channel == "" && t.TS == "" }

// ProfileReport is the outcome of one profile of one pod.
type ProfileReport struct {
	Name     string        `json:"name"`
	Key      string        `json:"key,omitempty"`
	Link     string        `json:"link,omitempty"`
	Bytes    int           `json:"bytes,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Summary is a pprof profile's main view: its most telling sample
	// type (or the one asked for), or, for the second heap snapshot, the
	// growth since the first.
	Summary *pprof.Summary `json:"summary,omitempty"`
	// Views are the profile's other telling sample types (heap:
	// inuse_objects and alloc_space; block and mutex: contentions).
	Views []pprof.Summary `json:"views,omitempty"`
	// Goroutines groups a goroutine dump (goroutine?debug=2).
	Goroutines *goroutines.Dump `json:"goroutines,omitempty"`
	// GoroutineGrowth is the dump's growth since an earlier dump of the
	// same process (alertprof analyze --base); nil otherwise.
	GoroutineGrowth *goroutines.Growth `json:"goroutine_growth,omitempty"`
	// MemStats is the runtime's memory statistics (heap?debug=1).
	MemStats *memory.Stats `json:"memstats,omitempty"`
	// Trace summarizes an execution trace (/debug/pprof/trace).
	Trace *exectrace.Summary `json:"trace,omitempty"`
	// Window is what time a cumulative profile (allocs, block, mutex)
	// covers: "over the last 10s" when it was taken as a delta over the
	// capture's window, "since process start" otherwise; "" for others.
	Window string `json:"window,omitempty"`
	// Pending says the artifact waits in the local spool for the object
	// store to come back; Link works once it is uploaded.
	Pending bool `json:"pending,omitempty"`
	// Error says in words why the profile is missing; empty on success.
	Error string `json:"error,omitempty"`
	// Note says what an analysis that looks empty means and what to do,
	// e.g. that a block or mutex profile's rate is off and how to turn
	// it on.
	Note string `json:"note,omitempty"`

	// UILink opens the profile in pprof's web UI (flame graph, top,
	// peek); empty for text artifacts or when the UI is off.
	UILink string `json:"ui_link,omitempty"`
}

// PodReport is the evidence for one captured pod, or, when Problem is set,
// the reason nothing could be captured for an alert.
type PodReport struct {
	Target  string `json:"target"`
	Address string `json:"address,omitempty"`
	// Name is how people know the pod, the same in every message of the
	// incident: namespace/pod, or host:port for a static target. Empty
	// means Target.
	Name      string `json:"name,omitempty"`
	AlertName string `json:"alertname"`
	// Annotations are the summary, description and runbook_url of the
	// alert the pod was captured for (those it has), in the rule's own
	// words.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Kind is the alert's kind (memory, latency, restart, default), which
	// chose the profiles.
	Kind string `json:"kind,omitempty"`
	// Headline is the one sentence a person reads first.
	Headline   string          `json:"headline,omitempty"`
	CapturedAt time.Time       `json:"captured_at"`
	Profiles   []ProfileReport `json:"profiles,omitempty"`
	SummaryKey string          `json:"summary_key,omitempty"`
	// Owner names who to mention, from the pod's alertprof.io/owner
	// annotation: a Slack user (U…/W…) or user group (S…) ID.
	Owner   string `json:"owner,omitempty"`
	Problem string `json:"problem,omitempty"`
	// Restart is the pod's restart context (restart counts, last
	// termination, memory bounds, previous log); nil without restarts.
	Restart *capture.Restart `json:"restart,omitempty"`
	// MemoryBounds are the captured container's memory request, limit and
	// GOMEMLIMIT; nil when not known (static targets).
	MemoryBounds *capture.MemoryBounds `json:"memory_bounds,omitempty"`
	// SinceHealthy compares the pod's heap and goroutines with its
	// workload's latest healthy baseline; nil without one.
	SinceHealthy *SinceHealthy `json:"since_healthy,omitempty"`
	// Memory sets the runtime's memory statistics against MemoryBounds;
	// nil when no memstats were captured.
	Memory *memory.Reconciliation `json:"memory,omitempty"`
	// Workload names the pod's workload as "Kind/name" (see
	// capture.Target.Workload); empty when not known.
	Workload string `json:"workload,omitempty"`
	// BeforeKill is the latest capture of the pod, or of its workload,
	// taken before the OOM kill its restart context reports; the report
	// leads with it. Nil without such a kill or such a capture.
	BeforeKill *BeforeKill `json:"before_kill,omitempty"`
	// Capturing lists the windowed profiles (CPU, trace, heap growth)
	// still being captured when this report was made: an early report,
	// built from the profiles that have landed, that a later one
	// replaces. Empty in a final report.
	Capturing []Window `json:"capturing,omitempty"`
	// Reply identifies the pod's one reply in the incident's thread (for
	// Slack, the message's ts), so that every later report of the pod
	// edits that message instead of posting another; empty until posted.
	Reply string `json:"reply,omitempty"`
	// Flame is the flame graph of the pod's leading profile, stored beside
	// it; nil when none was drawn.
	Flame *FlameGraph `json:"flame,omitempty"`
}

// Window is a windowed profile still being captured.
type Window struct {
	Name string `json:"name"`
	// Seconds is its window: the CPU or trace seconds, or the time
	// between the two heap snapshots.
	Seconds int `json:"seconds"`
}

// Label names the window as a person reads it: "heap growth" for the
// second heap snapshot, else the profile's name.
func (w Window) Label() string {
	if w.Name == secondHeap {
		return "heap growth"
	}
	return w.Name
}

// StillCapturing says what an early report is still waiting for, as
// "still capturing: cpu (10 s), heap growth (30 s)"; "" for a final one.
func (p PodReport) StillCapturing() string {
	if len(p.Capturing) == 0 {
		return ""
	}
	parts := make([]string, len(p.Capturing))
	for i, w := range p.Capturing {
		parts[i] = fmt.Sprintf("%s (%d s)", w.Label(), w.Seconds)
	}
	return "still capturing: " + strings.Join(parts, ", ")
}

// Early reports whether the report is an early one (see Capturing).
func (p PodReport) Early() bool { return len(p.Capturing) > 0 }

// PodName is the name people know the pod by: Name, else Target.
func (p PodReport) PodName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Target
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
	// Progress: an early report of one pod, with the profiles that have
	// landed so far (Pod.Capturing lists the rest). A Captured event with
	// the final report follows. Only a notifier that edits its pod
	// replies in place is sent these.
	Progress
)

func (k EventKind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Captured:
		return "captured"
	case Resolved:
		return "resolved"
	case Progress:
		return "progress"
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
