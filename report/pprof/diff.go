package pprof

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"
)

// Diff summarizes the growth from base to cur: cur minus base, function by
// function, exactly as `go tool pprof -base base cur` computes it. For two
// heap snapshots taken some seconds apart, the rows are the functions whose
// in-use memory grew (or shrank) the most; Summary.Diff is set and the
// headline states the net growth. Neither profile is modified.
//
// The profiles must have the same sample types in the same units.
func Diff(base, cur *profile.Profile, opts Options) (Summary, error) {
	if base == nil || cur == nil {
		return Summary{}, errors.New("diff: nil profile")
	}
	if err := base.CheckValid(); err != nil {
		return Summary{}, fmt.Errorf("diff: check base profile: %w", err)
	}
	if err := cur.CheckValid(); err != nil {
		return Summary{}, fmt.Errorf("diff: check profile: %w", err)
	}
	neg := base.Copy()
	neg.Scale(-1)
	merged, err := profile.Merge([]*profile.Profile{cur, neg})
	if err != nil {
		return Summary{}, fmt.Errorf("diff: merge with base: %w", err)
	}
	sum, err := summarize(merged, opts, true)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: %w", err)
	}
	return sum, nil
}
