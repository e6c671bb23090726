package pprof

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// DiffData is Diff on two pprof profiles' bytes, gzipped or not, each of
// at most maxDecoded bytes once decompressed (<=0 means
// format.DefaultMaxDecoded). It reads both profiles' tables and streams
// their samples twice: once to sum the values of each distinct merged
// sample (stack and labels, as profile.Merge keys them), keeping only a
// 128-bit hash of its key and its values, and once to summarize the merged
// samples. Its memory is that of the tables and of one entry per distinct
// sample, not of the decoded profiles. The result is Diff's.
//
// Bytes the wire reader rejects may still be profiles to pprof's own
// decoder (say legacy text profiles): then both are parsed and diffed
// whole. Like format.ParseProfileMax, it never panics on malformed bytes.
func DiffData(baseData, curData []byte, maxDecoded int64, opts Options) (sum Summary, err error) {
	defer func() {
		if r := recover(); r != nil {
			sum, err = Summary{}, fmt.Errorf("diff: malformed input: %v", r)
		}
	}()
	if maxDecoded <= 0 {
		maxDecoded = format.DefaultMaxDecoded
	}
	sum, err = diffStream(baseData, curData, maxDecoded, opts)
	if err == nil || !errors.Is(err, pprofwire.ErrWire) {
		return sum, err
	}
	base, err := format.ParseProfileMax(baseData, maxDecoded)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: base: %w", err)
	}
	cur, err := format.ParseProfileMax(curData, maxDecoded)
	if err != nil {
		return Summary{}, err
	}
	return Diff(base, cur, opts)
}

// diffStream is DiffData without the fallback; its errors wrap
// pprofwire.ErrWire when the bytes are not for the wire reader.
func diffStream(baseData, curData []byte, maxDecoded int64, opts Options) (Summary, error) {
	base, err := pprofwire.Read(baseData, maxDecoded)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: parse base profile: %w", err)
	}
	cur, err := pprofwire.Read(curData, maxDecoded)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: parse profile: %w", err)
	}
	// Merge keys samples by their numeric labels too.
	base.NumLabels, cur.NumLabels = true, true
	// Merging the headers alone checks that the profiles are compatible
	// and combines their headers (durations, default sample type, frames
	// to drop) as Merge does.
	header, err := profile.Merge([]*profile.Profile{cur.Header, base.Header})
	if err != nil {
		return Summary{}, fmt.Errorf("diff: merge with base: %w", err)
	}
	m, err := newDiffMerge(header, cur, base)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: parse profile: %w", err)
	}
	samples := func(fn func(*profile.Sample) error) error {
		if err := m.samples(fn); err != nil {
			return fmt.Errorf("parse profile: %w", err)
		}
		return nil
	}
	sums, err := summarizeSamples(m.p, samples, []string{opts.SampleIndex}, opts.Top, true)
	if err != nil {
		return Summary{}, fmt.Errorf("diff: %w", err)
	}
	return sums[0], nil
}
