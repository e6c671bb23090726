package report

import (
	"context"
	"fmt"
	"time"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/pprof"
)

// Healthy is the latest healthy capture of the pod's workload (taken while
// no alert fired on it), which Analyze compares the pod's profiles with.
type Healthy struct {
	TakenAt time.Time
	// Target is the pod (or address) the baseline was taken from.
	Target string
	// Reason says why it was taken (after which incident resolved, or on
	// the schedule).
	Reason    string
	Artifacts []HealthyArtifact
}

// HealthyArtifact is one profile of a healthy baseline.
type HealthyArtifact struct {
	// Name is the profile's name in the plan ("heap", "goroutine").
	Name string
	Key  string
	Link string
	Data []byte
}

// SinceHealthy is how the pod's profiles differ from its workload's
// latest healthy baseline, as `go tool pprof -base baseline incident`
// computes it.
type SinceHealthy struct {
	TakenAt time.Time `json:"taken_at"`
	// Ago is the time from the baseline to this capture.
	Ago    time.Duration `json:"ago_ns"`
	Target string        `json:"target,omitempty"`
	Reason string        `json:"reason,omitempty"`
	// Comparisons are one per baseline profile that the pod has a profile
	// of the same kind to compare with.
	Comparisons []HealthyDiff `json:"comparisons"`
}

// HealthyDiff is one profile's growth since the baseline.
type HealthyDiff struct {
	// Profile is the pod's profile compared (the last heap snapshot for
	// the heap); Base is the baseline's profile it is compared with.
	Profile  string `json:"profile"`
	Base     string `json:"base"`
	BaseKey  string `json:"base_key,omitempty"`
	BaseLink string `json:"base_link,omitempty"`
	// Summary is a pprof profile's growth (the heap's in inuse_space);
	// Growth a goroutine dump's, group by group.
	Summary *pprof.Summary     `json:"summary,omitempty"`
	Growth  *goroutines.Growth `json:"growth,omitempty"`
	Error   string             `json:"error,omitempty"`
}

// Heap is the heap's growth since the baseline, nil without one.
func (s *SinceHealthy) Heap() *pprof.Summary {
	if s == nil {
		return nil
	}
	for _, c := range s.Comparisons {
		if c.Summary != nil && c.Summary.Kind == pprof.KindHeap {
			return c.Summary
		}
	}
	return nil
}

// Headline is the heap's growth since the baseline, when it grew:
// "since healthy (2h ago): inuse heap grew +120MB, 91% allocated by X";
// "" otherwise.
func (s *SinceHealthy) Headline() string {
	h := s.Heap()
	if h == nil || !h.Grew() {
		return ""
	}
	return fmt.Sprintf("since healthy (%s ago): %s", agoText(s.Ago), h.Headline.Text)
}

// sinceHealthyLeads is the growth since the healthy baseline when it
// explains more than the growth between the two snapshots of this
// capture (or the heap did not grow within the capture); "" otherwise.
func sinceHealthyLeads(pr PodReport) string {
	text := pr.SinceHealthy.Headline()
	if text == "" {
		return ""
	}
	if w := growth(pr); w != nil && w.Net >= pr.SinceHealthy.Heap().Headline.Net {
		return ""
	}
	return text
}

// agoText words a duration the way people say how long ago: 45s, 14m, 2h,
// 3d.
func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// addSinceHealthy compares the pod's profiles with its workload's healthy
// baseline: each baseline profile with the pod's profile of the same name
// (the heap with the last heap snapshot), when both are of one format.
// Each comparison waits for its memory in the budget and runs in the
// gate; one that fails says why in its Error.
func addSinceHealthy(ctx context.Context, pr *PodReport, arts []Artifact, opts Options, gate func(func())) {
	hb := opts.Healthy
	if hb == nil {
		return
	}
	s := &SinceHealthy{TakenAt: hb.TakenAt, Ago: pr.CapturedAt.Sub(hb.TakenAt), Target: hb.Target, Reason: hb.Reason}
	for _, b := range hb.Artifacts {
		cur, ok := counterpart(b.Name, arts)
		if !ok {
			continue
		}
		bf, cf := format.Detect(b.Data), formatOf(cur)
		if bf != cf || (bf != format.Profile && bf != format.Goroutines) {
			continue
		}
		d := HealthyDiff{Profile: cur.Name, Base: b.Name, BaseKey: b.Key, BaseLink: b.Link}
		if err := compareHealthy(ctx, &d, b.Data, cur.Data, bf, opts, gate); err != nil {
			d.Error = err.Error()
		}
		s.Comparisons = append(s.Comparisons, d)
	}
	if len(s.Comparisons) > 0 {
		pr.SinceHealthy = s
	}
}

// counterpart is the pod's artifact to compare with the baseline's
// profile name: for the heap the last snapshot (heap-2, else heap).
func counterpart(name string, arts []Artifact) (Artifact, bool) {
	want := []string{name}
	if name == firstHeap {
		want = []string{secondHeap, firstHeap}
	}
	for _, n := range want {
		for _, a := range arts {
			if a.Name == n && len(a.Data) > 0 {
				return a, true
			}
		}
	}
	return Artifact{}, false
}

// compareHealthy fills d with cur's growth since base.
func compareHealthy(ctx context.Context, d *HealthyDiff, base, cur []byte, f format.Format, opts Options, gate func(func())) (err error) {
	var cost int64
	if f == format.Profile {
		cost = format.DiffCost(base, cur, opts.maxDecoded())
	} else {
		max := opts.Text.MaxBytes
		if max <= 0 {
			max = format.DefaultMaxText
		}
		for _, data := range [][]byte{base, cur} {
			n, err := format.DecodedSize(data, max)
			if err != nil {
				n = int64(len(data))
			}
			cost += format.Cost(f, n)
		}
	}
	if opts.Budget != nil {
		release, err := opts.Budget.Reserve(ctx, cost)
		if err != nil {
			return fmt.Errorf("not compared with the healthy baseline: %w", err)
		}
		defer release()
	}
	gate(func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("malformed input: %v", r)
			}
		}()
		if f == format.Profile {
			popts := pprof.Options{Top: opts.Top}
			if d.Base == firstHeap {
				popts.SampleIndex = "inuse_space"
			}
			var sum pprof.Summary
			if sum, err = pprof.DiffData(base, cur, opts.maxDecoded(), popts); err == nil {
				d.Summary = &sum
			}
			return
		}
		var before, after *goroutines.Dump
		if before, err = parseDump(base, opts.Text); err != nil {
			err = fmt.Errorf("baseline: %w", err)
			return
		}
		if after, err = parseDump(cur, opts.Text); err == nil {
			d.Growth = goroutines.Compare(before, after)
		}
	})
	return err
}

// parseDump parses a goroutine dump within the text limits.
func parseDump(data []byte, lim format.TextLimits) (*goroutines.Dump, error) {
	r, err := format.TextReaderMax(data, lim)
	if err != nil {
		return nil, err
	}
	return goroutines.Parse(r)
}
