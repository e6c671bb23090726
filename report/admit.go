package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// Budget admits analyses by the memory they need (capture.Budget is
// one). Reserve takes n bytes, waiting while they are in use by others
// until ctx ends, and returns the function that gives them back; work
// that could never fit is refused at once with an error.
type Budget interface {
	Reserve(ctx context.Context, n int64) (release func(), err error)
}

// errTooLarge marks an artifact refused for its size; its raw bytes are
// still the evidence.
var errTooLarge = errors.New("too large to analyse")

// tooLargeError is an artifact refused for its size.
type tooLargeError struct{ err error }

func (e *tooLargeError) Error() string { return e.err.Error() }
func (e *tooLargeError) Unwrap() []error {
	return []error{errTooLarge, e.err}
}

// admit reserves the memory that analysing a takes, from its size once
// decompressed: it returns the function that gives it back. An artifact
// that decompresses past its cap, or that could never fit in the budget,
// is refused with an error wrapping errTooLarge.
func admit(ctx context.Context, a Artifact, f format.Format, opts Options) (func(), error) {
	max := opts.maxDecoded()
	if f.Text() {
		max = opts.Text.MaxBytes
		if max <= 0 {
			max = format.DefaultMaxText
		}
	}
	n, err := format.DecodedSize(a.Data, max)
	if errors.Is(err, format.ErrTooLarge) {
		return nil, &tooLargeError{fmt.Errorf("too large to analyse: it decompresses to more than %d bytes (capture.max_decoded_bytes)", max)}
	}
	if err != nil {
		n = int64(len(a.Data)) // not gzip after all: the analysis says so
	}
	if opts.Budget == nil {
		return func() {}, nil
	}
	cost := format.Cost(f, n)
	switch {
	case f == format.Profile && opts.streamsBase() && len(a.Data) > 0:
		cost = format.DiffCost(opts.BaseData, a.Data, max)
	case f == format.Profile && (opts.hasBase() || len(a.Data) == 0):
		cost = format.ParsedCost(n) // a diff with a parsed base decodes it whole
	case f == format.Profile:
		cost = format.ProfileCost(a.Data, max)
	}
	release, err := opts.Budget.Reserve(ctx, cost)
	if err != nil {
		if ctx.Err() == nil {
			return nil, &tooLargeError{err} // it could never fit
		}
		return nil, err
	}
	return release, nil
}

// tooLarge reports whether err refuses or cuts an artifact for its size.
func tooLarge(err error) bool {
	return errors.Is(err, errTooLarge) || errors.Is(err, format.ErrTooLarge) || errors.Is(err, format.ErrTooManyLines)
}

// tooLargeNote is the report line of an artifact refused or cut for its
// size: when it was stored, its raw bytes are there to open by hand.
func tooLargeNote(err error, out *ProfileReport) string {
	msg := err.Error()
	if !errors.Is(err, errTooLarge) {
		msg = "too large to analyse, cut: " + msg
	}
	if out.Key != "" {
		msg += "; the raw artifact is stored"
	}
	return msg
}

// hasBase reports whether a base turns summaries into diffs.
func (o Options) hasBase() bool { return o.Base != nil || len(o.BaseData) > 0 }

// streamsBase reports whether the base is given as bytes only, to diff as
// a stream.
func (o Options) streamsBase() bool { return o.Base == nil && len(o.BaseData) > 0 }

func (o Options) maxDecoded() int64 {
	if o.MaxDecoded > 0 {
		return o.MaxDecoded
	}
	return format.DefaultMaxDecoded
}

// admitGrowth reserves the memory that the diff of the two heap snapshots
// takes: when both are given as bytes only (firstData, secondData), that
// of diffing them as a stream (format.DiffCost: their tables, and an entry
// per distinct merged sample); otherwise that of decoding both whole
// (format.ParsedCost of each decompressed size).
func admitGrowth(ctx context.Context, first, second *profile.Profile, firstData, secondData []byte, opts Options) (func(), error) {
	if opts.Budget == nil {
		return func() {}, nil
	}
	var cost int64
	if first == nil && second == nil {
		cost = format.DiffCost(firstData, secondData, opts.maxDecoded())
	} else {
		for _, data := range [][]byte{firstData, secondData} {
			n, err := format.DecodedSize(data, opts.maxDecoded())
			if err != nil {
				n = int64(len(data))
			}
			cost += format.ParsedCost(n)
		}
	}
	release, err := opts.Budget.Reserve(ctx, cost)
	if err != nil && ctx.Err() == nil {
		return nil, &tooLargeError{fmt.Errorf("the two snapshots need about %d MiB to compare, more than the memory budget (capture.memory_budget_bytes): %w", cost>>20, err)}
	}
	return release, err
}
