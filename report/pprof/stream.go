package pprof

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// Streaming: AnalyzeData and SummarizeData read a profile from its encoded
// bytes with pprofwire, the tables first and then the samples one at a
// time, so that their memory is that of the tables and of one aggregate
// per function, not of the samples. Their results are those of Analyze and
// Summarize on the parsed profile.

// AnalyzeData is Analyze on a pprof profile's bytes, gzipped or not, of at
// most maxDecoded bytes once decompressed (<=0 means
// format.DefaultMaxDecoded). A decompressed size over it is an error
// wrapping format.ErrTooLarge.
func AnalyzeData(data []byte, maxDecoded int64, opts Options) ([]Summary, error) {
	return streamData(data, maxDecoded, opts.Top, opts.Kind, func(h *profile.Profile) []string {
		if opts.SampleIndex != "" {
			return []string{opts.SampleIndex}
		}
		// Block and mutex profiles, which only the samples tell apart,
		// have the same views.
		return viewsOf(h, kindFrom(h, false))
	}, func(p *profile.Profile) ([]Summary, error) { return Analyze(p, opts) })
}

// SummarizeData is Summarize on a pprof profile's bytes, capped as
// AnalyzeData caps them.
func SummarizeData(data []byte, maxDecoded int64, opts Options) (Summary, error) {
	sums, err := streamData(data, maxDecoded, opts.Top, opts.Kind, func(*profile.Profile) []string {
		return []string{opts.SampleIndex}
	}, func(p *profile.Profile) ([]Summary, error) {
		s, err := Summarize(p, opts)
		return []Summary{s}, err
	})
	if err != nil {
		return Summary{}, err
	}
	return sums[0], nil
}

// streamData summarizes the sample types types names for the profile's
// header, streaming its samples. Bytes the wire reader rejects may still
// be a profile to pprof's own decoder (say a legacy text profile): then
// the profile is parsed and parsed summarizes it. kind is Options.Kind.
func streamData(data []byte, maxDecoded int64, top int, kind string, types func(*profile.Profile) []string, parsed func(*profile.Profile) ([]Summary, error)) ([]Summary, error) {
	if maxDecoded <= 0 {
		maxDecoded = format.DefaultMaxDecoded
	}
	r, err := pprofwire.Read(data, maxDecoded)
	if err == nil {
		samples := func(fn func(*profile.Sample) error) error {
			if err := r.EachSample(fn); err != nil {
				return fmt.Errorf("parse profile: %w", err)
			}
			return nil
		}
		applyKind(r.Header, kind)
		var sums []Summary
		if sums, err = summarizeSamples(r.Header, samples, types(r.Header), top, false); err == nil {
			return sums, nil
		}
	} else {
		err = fmt.Errorf("parse profile: %w", err)
	}
	if !errors.Is(err, pprofwire.ErrWire) {
		return nil, err
	}
	p, perr := format.ParseProfileMax(data, maxDecoded)
	if perr != nil {
		return nil, perr
	}
	return parsed(p)
}
