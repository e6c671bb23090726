package pprof

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/report/internal/units"
)

// DefaultTop is the number of rows Summarize keeps when Options.Top is unset.
const DefaultTop = 10

// Options controls Summarize.
type Options struct {
	// Top is the number of rows to keep; <=0 means 10.
	Top int
	// SampleIndex names the sample type to summarize, e.g. "inuse_space".
	// As with pprof's -sample_index, a number selects by position, and ""
	// means the profile's default sample type, or else its last one.
	SampleIndex string
	// Kind, when set, is the kind the caller knows the profile to be (the
	// plan names it), for profiles that cannot say: a delta allocs
	// profile (allocs?seconds=N) as net/http/pprof serves it has lost its
	// default sample type, and would read as a heap profile.
	Kind string
}

// Row is one function in a top-N table. Values are raw numbers in the
// profile's unit; percentages are of Summary.Total, and carry the value's
// sign (only diff profiles have negative values).
type Row struct {
	Function string  `json:"function"`
	Flat     int64   `json:"flat"`
	FlatPct  float64 `json:"flat_pct"`
	Cum      int64   `json:"cum"`
	CumPct   float64 `json:"cum_pct"`
}

// Summary is the top-N view of one profile.
type Summary struct {
	// File names the profile's source; Summarize leaves it empty for the
	// caller to fill in.
	File string `json:"file,omitempty"`
	// Kind is "heap", "allocs", "cpu", "goroutine", "block", "mutex" or
	// "unknown", derived from the profile's sample and period types.
	Kind string `json:"kind"`
	// SampleType is the summarized sample type, e.g. "inuse_space".
	SampleType string `json:"sample_type"`
	// Unit is the unit of Total and of the rows' values, e.g. "bytes",
	// "nanoseconds" or "count".
	Unit string `json:"unit"`
	// Total is the sum of the absolute sample values.
	Total int64 `json:"total"`
	// Rows are the top functions, heaviest flat value first. It is never
	// nil.
	Rows []Row `json:"rows"`
	// Dropped counts the functions left out because their cum value was
	// below pprof's node fraction (0.5% of the total); 0 if none.
	Dropped int `json:"dropped_nodes"`
	// CumRows are the top functions by cumulative value, as
	// `go tool pprof -top -cum` lists them. It is never nil.
	CumRows []Row `json:"cum_rows"`
	// Headline names the dominant cost and the user code that leads to
	// it; nil when the profile has no samples.
	Headline *Headline `json:"headline,omitempty"`
	// DurationNanos is the profile's recording window (CPU profiles), or 0.
	DurationNanos int64 `json:"duration_ns,omitempty"`
	// Diff is set when the summary is of a difference of two profiles
	// (see Diff); values are then growth and may be negative.
	Diff bool `json:"diff,omitempty"`
}

// Summarize returns the top functions of one sample type of p, matching
// `go tool pprof -top -nodecount=N` with N = opts.Top (see the package
// documentation for the rules). It does not modify p.
//
// It fails if p is nil or malformed, has no sample types, or lacks the
// requested sample type; the last error names the types it has.
func Summarize(p *profile.Profile, opts Options) (Summary, error) {
	return summarize(p, opts, false)
}

// summarize is Summarize; diff says p is a difference of two profiles.
func summarize(p *profile.Profile, opts Options, diff bool) (Summary, error) {
	sums, err := summarizeTypes(p, []string{opts.SampleIndex}, opts.Top, diff)
	if err != nil {
		return Summary{}, err
	}
	return sums[0], nil
}

// summarizeTypes summarizes p once for each of the sample types named in
// types (as Options.SampleIndex names them), sharing the work on the stacks
// between them. It fails as Summarize would on the first type that fails.
func summarizeTypes(p *profile.Profile, types []string, top int, diff bool) ([]Summary, error) {
	if p == nil {
		return nil, errors.New("nil profile")
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("check profile: %w", err)
	}
	return summarizeSamples(p, sliceSource(p.Sample), types, top, diff)
}

// summarizeSamples is summarizeTypes on samples, which use p's locations;
// p's own samples are not read. It returns the error of samples.
func summarizeSamples(p *profile.Profile, samples sampleSource, types []string, top int, diff bool) ([]Summary, error) {
	if len(p.SampleType) == 0 {
		return nil, errors.New("profile has no sample types")
	}
	idxs := make([]int, len(types))
	for i, t := range types {
		idx, err := p.SampleIndexByName(t)
		if err != nil {
			return nil, fmt.Errorf("select sample type: %w", err)
		}
		idxs[i] = idx
	}
	if top <= 0 {
		top = DefaultTop
	}
	st, err := newStacks(p, samples, idxs)
	if err != nil {
		return nil, err
	}
	sums := make([]Summary, len(idxs))
	for j := range idxs {
		sums[j] = st.summary(p, j, top, diff)
	}
	return sums, nil
}

// summary is the top-N view j of p, whose stacks st are.
func (st *stacks) summary(p *profile.Profile, j, top int, diff bool) Summary {
	idx := st.idxs[j]
	g := st.graph(j)
	dropped := g.trim()
	sum := Summary{
		Kind:          kindFrom(p, st.unlock),
		SampleType:    p.SampleType[idx].Type,
		Unit:          p.SampleType[idx].Unit,
		Total:         st.total(j),
		Dropped:       dropped,
		DurationNanos: p.DurationNanos,
		Diff:          diff,
	}
	g.sort()
	sum.Rows = g.rows(top, sum.Total)
	sum.Headline = st.headline(j, sum)
	g.sortCum()
	sum.CumRows = g.rows(top, sum.Total)
	return sum
}

// rows returns the first top nodes as rows, percentages of total.
func (g *graph) rows(top int, total int64) []Row {
	rows := make([]Row, 0, min(top, len(g.nodes)))
	for _, n := range g.nodes[:min(top, len(g.nodes))] {
		rows = append(rows, Row{
			Function: n.name,
			Flat:     n.flat,
			FlatPct:  units.Percent(n.flat, total),
			Cum:      n.cum,
			CumPct:   units.Percent(n.cum, total),
		})
	}
	return rows
}
