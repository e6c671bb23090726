package baseline

import (
	"testing"
	"time"
)

func TestScheduleAfterResolve(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	s := NewSchedule(10*time.Minute, 0, 10)
	api := deployment("api")
	s.Firing("inc-1", api, t0)
	if due := s.Take(t0.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("due while firing, before any resolve: %v", due)
	}
	s.Resolved("inc-1", t0.Add(time.Minute))
	if due := s.Take(t0.Add(10 * time.Minute)); len(due) != 0 {
		t.Fatalf("due before the delay passed: %v", due)
	}
	if next := s.Next(); !next.Equal(t0.Add(11 * time.Minute)) {
		t.Fatalf("next = %s, want resolve + 10m", next)
	}
	due := s.Take(t0.Add(11 * time.Minute))
	if len(due) != 1 || due[0].Workload != api || due[0].Reason != "after incident inc-1 resolved" {
		t.Fatalf("due = %+v", due)
	}
	if again := s.Take(t0.Add(time.Hour)); len(again) != 0 {
		t.Fatalf("taken twice: %v", again)
	}
	s.Done(api, t0.Add(12*time.Minute))
	if next := s.Next(); !next.IsZero() {
		t.Fatalf("with the interval off, next = %s, want none", next)
	}
}

func TestScheduleWaitsForEveryIncident(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	s := NewSchedule(time.Minute, 0, 10)
	api := deployment("api")
	s.Firing("inc-1", api, t0)
	s.Firing("inc-2", api, t0)
	s.Resolved("inc-1", t0)
	if due := s.Take(t0.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("due while inc-2 still fires: %v", due)
	}
	// Due, then an incident fires before it is taken: not taken.
	s.Resolved("inc-2", t0)
	s.Firing("inc-3", api, t0.Add(30*time.Second))
	if due := s.Take(t0.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("taken while inc-3 fires: %v", due)
	}
	s.Resolved("inc-3", t0.Add(2*time.Hour))
	if due := s.Take(t0.Add(2*time.Hour + time.Minute)); len(due) != 1 {
		t.Fatalf("not due after the last incident resolved: %v", due)
	}
}

func TestScheduleInterval(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	s := NewSchedule(5*time.Minute, time.Hour, 10)
	api := deployment("api")
	s.Firing("inc-1", api, t0)
	s.Resolved("inc-1", t0)
	if due := s.Take(t0.Add(5 * time.Minute)); len(due) != 1 {
		t.Fatalf("due = %v", due)
	}
	s.Done(api, t0.Add(5*time.Minute))
	if next := s.Next(); !next.Equal(t0.Add(65 * time.Minute)) {
		t.Fatalf("next = %s, want an interval after the last", next)
	}
	due := s.Take(t0.Add(65 * time.Minute))
	if len(due) != 1 || due[0].Reason != "on schedule" {
		t.Fatalf("due = %+v", due)
	}
	// A workload that never had an incident is never scheduled.
	if n := len(s.workloads); n != 1 {
		t.Fatalf("%d workloads scheduled", n)
	}
}

func TestScheduleOffAndBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	off := NewSchedule(0, 0, 10)
	off.Firing("inc-1", deployment("api"), t0)
	off.Resolved("inc-1", t0)
	if due := off.Take(t0.Add(24 * time.Hour)); len(due) != 0 || off.Enabled() {
		t.Fatalf("a schedule with both paths off took %v", due)
	}
	s := NewSchedule(time.Minute, 0, 2)
	for i, name := range []string{"a", "b", "c"} {
		id := "inc-" + name
		s.Firing(id, deployment(name), t0.Add(time.Duration(i)*time.Second))
		s.Resolved(id, t0.Add(time.Duration(i)*time.Second))
	}
	if _, ok := s.workloads[deployment("a").Key()]; ok || len(s.workloads) != 2 {
		t.Fatalf("past max the least recently seen workload is kept: %d workloads", len(s.workloads))
	}
}
