package report

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"
)

// defaultTop is the number of rows Summarize keeps when Options.Top is unset.
const defaultTop = 10

// Options controls Summarize.
type Options struct {
	// Top is the number of rows to keep; <=0 means 10.
	Top int
	// SampleIndex names the sample type to summarize, e.g. "inuse_space".
	// As with pprof's -sample_index, a number selects by position, and ""
	// means the profile's default sample type, or else its last one.
	SampleIndex string
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
	if p == nil {
		return Summary{}, errors.New("nil profile")
	}
	if err := p.CheckValid(); err != nil {
		return Summary{}, fmt.Errorf("check profile: %w", err)
	}
	if len(p.SampleType) == 0 {
		return Summary{}, errors.New("profile has no sample types")
	}
	idx, err := p.SampleIndexByName(opts.SampleIndex)
	if err != nil {
		return Summary{}, fmt.Errorf("select sample type: %w", err)
	}
	top := opts.Top
	if top <= 0 {
		top = defaultTop
	}
	value := func(s *profile.Sample) int64 { return s.Value[idx] }

	samples := pruned(p)
	g := buildGraph(samples, value)
	dropped := g.trim()

	sum := Summary{
		Kind:          kindOf(p),
		SampleType:    p.SampleType[idx].Type,
		Unit:          p.SampleType[idx].Unit,
		Total:         total(samples, value),
		Dropped:       dropped,
		DurationNanos: p.DurationNanos,
		Diff:          diff,
	}
	g.sort()
	sum.Rows = g.rows(top, sum.Total)
	sum.Headline = headline(samples, value, sum)
	g.sortCum()
	sum.CumRows = g.rows(top, sum.Total)
	return sum, nil
}

// rows returns the first top nodes as rows, percentages of total.
func (g *graph) rows(top int, total int64) []Row {
	rows := make([]Row, 0, min(top, len(g.nodes)))
	for _, n := range g.nodes[:min(top, len(g.nodes))] {
		rows = append(rows, Row{
			Function: n.name,
			Flat:     n.flat,
			FlatPct:  percent(n.flat, total),
			Cum:      n.cum,
			CumPct:   percent(n.cum, total),
		})
	}
	return rows
}

// total is pprof's report total: the sum of |value| over all samples. When
// some samples carry the pprof::base=true label (a diff profile), only those
// count.
func total(samples []*profile.Sample, value func(*profile.Sample) int64) int64 {
	var all, base int64
	for _, s := range samples {
		v := abs(value(s))
		all += v
		if s.DiffBaseSample() {
			base += v
		}
	}
	if base > 0 {
		return base
	}
	return all
}

// pruned returns the samples of p with the frames p asks to drop removed
// (Profile.DropFrames/KeepFrames), as pprof does when it loads a profile. It
// prunes shallow copies of the samples and locations, so p is unchanged.
func pruned(p *profile.Profile) []*profile.Sample {
	if p.DropFrames == "" {
		return p.Sample
	}
	cp := &profile.Profile{
		DropFrames: p.DropFrames,
		KeepFrames: p.KeepFrames,
		Sample:     make([]*profile.Sample, len(p.Sample)),
	}
	locs := make(map[*profile.Location]*profile.Location, len(p.Location))
	copyLoc := func(l *profile.Location) *profile.Location {
		if c, ok := locs[l]; ok {
			return c
		}
		c := *l
		locs[l] = &c
		cp.Location = append(cp.Location, &c)
		return &c
	}
	for _, l := range p.Location {
		copyLoc(l)
	}
	for i, s := range p.Sample {
		c := *s
		c.Location = make([]*profile.Location, len(s.Location))
		for j, l := range s.Location {
			c.Location[j] = copyLoc(l)
		}
		cp.Sample[i] = &c
	}
	// Prune only reslices Sample.Location and Location.Line, which are the
	// copies' own. Like pprof, ignore a DropFrames that does not compile:
	// the profile is then summarized unpruned.
	if err := cp.RemoveUninteresting(); err != nil {
		return p.Sample
	}
	return cp.Sample
}
