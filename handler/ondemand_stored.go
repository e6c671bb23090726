package handler

import (
	"context"
	"regexp"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// captureIDForm is what newIncidentID makes: the start time, then random hex.
var captureIDForm = regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{8}$`)

// storedCapture reads a finished capture on demand back from its incident
// record, for when it is no longer in memory (after a restart, or once
// newer captures pushed it out). The capture's ID is its incident's ID, and
// the time it starts with dates the record's key. A capture that continued
// an alert's incident is in that incident's record instead, and is not
// found here.
func (h *Handler) storedCapture(ctx context.Context, id string) (CaptureStatus, bool, error) {
	if !captureIDForm.MatchString(id) {
		return CaptureStatus{}, false, nil
	}
	opened, err := time.Parse("20060102T150405Z", id[:16])
	if err != nil {
		return CaptureStatus{}, false, nil
	}
	var rec record
	ok, err := h.loadJSON(ctx, capture.IncidentPrefix(opened, id)+"/incident.json", &rec)
	if err != nil || !ok || rec.Incident.GroupKey != onDemandGroupPrefix+id {
		return CaptureStatus{}, false, err
	}
	st := CaptureStatus{
		ID: id, Incident: id, State: StateDone, Notify: !rec.Incident.Thread.IsZero(),
		CreatedAt: rec.Incident.OpenedAt, Targets: []TargetStatus{}, Pods: append([]report.PodReport{}, rec.Pods...),
	}
	for _, pr := range rec.Pods {
		ts := TargetStatus{Target: pr.Target, Name: pr.Name, Address: pr.Address, State: StateDone, Problem: pr.Problem, Profiles: []ProfileStatus{}}
		if pr.Problem != "" {
			ts.State = StateSkipped
		}
		for _, p := range pr.Profiles {
			ps := ProfileStatus{Name: p.Name, State: StateDone, Error: p.Error}
			if p.Error != "" {
				ps.State = StateFailed
			}
			ts.Profiles = append(ts.Profiles, ps)
		}
		st.Targets = append(st.Targets, ts)
	}
	// A record with fewer reports than targets is written by a replica
	// still capturing (see runOnDemand): the others are running.
	for _, name := range rec.Incident.Targets[min(len(rec.Pods), len(rec.Incident.Targets)):] {
		if !h.coordinated() {
			break
		}
		st.State = StateRunning
		st.Targets = append(st.Targets, TargetStatus{Target: name, State: StateRunning, Profiles: []ProfileStatus{}})
	}
	return st, true, nil
}
