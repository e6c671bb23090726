package handler

import (
	"sync"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// The states of a capture on demand, of its targets and of their profiles.
const (
	StateRunning   = "running"   // the capture: some target is not done
	StateDone      = "done"      // capture, target or profile finished
	StateQueued    = "queued"    // waiting for a capture slot or rate token
	StateCapturing = "capturing" // fetching; a windowed profile records
	StateWaiting   = "waiting"   // a delayed snapshot (heap-2) waits its turn
	StateFailed    = "failed"    // a profile that could not be captured
	StateSkipped   = "skipped"   // a target not captured (Problem says why)
)

// CaptureStatus is the state of a capture on demand, as the API returns it.
type CaptureStatus struct {
	ID         string    `json:"id"`
	Incident   string    `json:"incident"`
	State      string    `json:"state"`
	Notify     bool      `json:"notify"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Targets show progress, per target and per profile.
	Targets []TargetStatus `json:"targets"`
	// Pods are the reports of the finished targets, the same reports an
	// alert makes, with their artifact links.
	Pods []report.PodReport `json:"pods"`
}

// TargetStatus is the progress of one target.
type TargetStatus struct {
	Target string `json:"target"`
	// Name is the pod's one name, as its reports give it.
	Name      string          `json:"name,omitempty"`
	Address   string          `json:"address,omitempty"`
	State     string          `json:"state"`
	StartedAt time.Time       `json:"started_at,omitzero"`
	Profiles  []ProfileStatus `json:"profiles"`
	Problem   string          `json:"problem,omitempty"`
}

// ProfileStatus is the progress of one profile of a target. A profile with
// a window (cpu, trace, ...) reports how much of it has elapsed.
type ProfileStatus struct {
	Name           string `json:"name"`
	State          string `json:"state"`
	Seconds        int    `json:"seconds,omitempty"`
	ElapsedSeconds int    `json:"elapsed_seconds,omitempty"`
	Error          string `json:"error,omitempty"`
}

// OnDemand is one capture on demand under way or finished.
type OnDemand struct {
	id        string
	incident  report.Incident
	continued bool // reports go to an alert's open incident
	notify    bool
	alert     template.Alert
	plan      []capture.Profile
	created   time.Time
	now       func() time.Time
	done      chan struct{}
	shared    []string // claims held across replicas, released when done

	mu       sync.Mutex
	targets  []*targetState
	finished time.Time
}

type targetState struct {
	target  capture.Target
	started time.Time
	report  *report.PodReport
}

// ID names the capture for GET /api/v1/captures/{id}.
func (c *OnDemand) ID() string { return c.id }

// Done is closed when every target is captured and reported.
func (c *OnDemand) Done() <-chan struct{} { return c.done }

func (c *OnDemand) started(ts *targetState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts.started = c.now()
}

func (c *OnDemand) finish(ts *targetState, pr report.PodReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts.report = &pr
}

func (c *OnDemand) close() {
	c.mu.Lock()
	c.finished = c.now()
	c.mu.Unlock()
	close(c.done)
}

// Status is a snapshot of the capture's progress and reports.
func (c *OnDemand) Status() CaptureStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	st := CaptureStatus{ID: c.id, Incident: c.incident.ID, State: StateRunning, Notify: c.notify,
		CreatedAt: c.created, FinishedAt: c.finished, Targets: []TargetStatus{}, Pods: []report.PodReport{}}
	if !c.finished.IsZero() {
		st.State = StateDone
	}
	for _, ts := range c.targets {
		st.Targets = append(st.Targets, c.targetStatus(ts, now))
		if ts.report != nil {
			st.Pods = append(st.Pods, *ts.report)
		}
	}
	return st
}

func (c *OnDemand) targetStatus(ts *targetState, now time.Time) TargetStatus {
	out := TargetStatus{Target: ts.target.Key(), Name: podName(ts.target), Address: ts.target.Address, StartedAt: ts.started, Profiles: []ProfileStatus{}}
	switch {
	case ts.report != nil && ts.report.Problem != "":
		out.State, out.Problem = StateSkipped, ts.report.Problem
		return out
	case ts.report != nil:
		out.State = StateDone
		for _, p := range ts.report.Profiles {
			ps := ProfileStatus{Name: p.Name, State: StateDone, Seconds: c.seconds(p.Name), Error: p.Error}
			if p.Error != "" {
				ps.State = StateFailed
			}
			out.Profiles = append(out.Profiles, ps)
		}
		return out
	case ts.target.Skip != "":
		out.State, out.Problem = StateSkipped, ts.target.Skip
		return out
	case ts.started.IsZero():
		out.State = StateQueued
	default:
		out.State = StateCapturing
	}
	// All profiles of a target are fetched together from the start, each
	// after its own delay, so a window's progress is the time since then.
	for _, p := range c.plan {
		ps := ProfileStatus{Name: p.Name, State: out.State, Seconds: p.Seconds}
		if out.State == StateCapturing {
			elapsed := now.Sub(ts.started) - p.Delay
			switch {
			case elapsed < 0:
				ps.State = StateWaiting
			case p.Seconds > 0:
				ps.ElapsedSeconds = min(int(elapsed/time.Second), p.Seconds)
			}
		}
		out.Profiles = append(out.Profiles, ps)
	}
	return out
}

// seconds is the window of the named profile of the plan, 0 without one.
func (c *OnDemand) seconds(name string) int {
	for _, p := range c.plan {
		if p.Name == name {
			return p.Seconds
		}
	}
	return 0
}
