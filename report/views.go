package report

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/google/pprof/profile"
)

// viewTypes are the sample types worth reading for each kind of profile,
// most telling first. The first that the profile has becomes the main view.
var viewTypes = map[string][]string{
	kindHeap:      {"inuse_space", "inuse_objects", "alloc_space"},
	kindAllocs:    {"alloc_space", "alloc_objects", "inuse_space"},
	kindCPU:       {"cpu"},
	kindGoroutine: {"goroutine"},
	kindBlock:     {"delay", "contentions"},
	kindMutex:     {"delay", "contentions"},
}

// Analyze summarizes every telling sample type of p: for heap profiles
// inuse_space, inuse_objects and alloc_space; for CPU the time (with the
// profile's window); for goroutine profiles the count; for block and mutex
// profiles the delay and the contentions. The first summary is the main one
// and carries the headline that matters. With opts.SampleIndex set, only
// that sample type is summarized.
func Analyze(p *profile.Profile, opts Options) ([]Summary, error) {
	if p == nil {
		return nil, errors.New("nil profile")
	}
	if opts.SampleIndex != "" {
		s, err := Summarize(p, opts)
		if err != nil {
			return nil, err
		}
		return []Summary{s}, nil
	}
	var types []string
	for _, t := range viewTypes[kindOf(p)] {
		if slices.ContainsFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == t }) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		types = []string{""} // pprof's default
	}
	return summarizeTypes(p, types, opts.Top, false)
}

// IsGoroutineDump reports whether data looks like a text goroutine dump
// (goroutine?debug=2) rather than a pprof profile.
func IsGoroutineDump(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("goroutine "))
}

// ParseProfile parses a pprof profile (gzipped or not) from data. Unlike
// profile.ParseData it never panics on malformed input; the panic is
// returned as an error.
func ParseProfile(data []byte) (p *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("parse profile: malformed input: %v", r)
		}
	}()
	p, err = profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("parse profile: %w", err)
	}
	return p, nil
}

// PodHeadline is the one sentence for a pod: the headline of the first
// summary that has one (the caller orders summaries by what the alert is
// about), else the goroutine dump's, else "".
func PodHeadline(sums []Summary, g *Goroutines) string {
	for _, s := range sums {
		if s.Headline != nil {
			return s.Headline.Text
		}
	}
	if g != nil {
		return g.Headline()
	}
	return ""
}

// Headline is the goroutine dump's sentence: the total and its largest
// group, e.g. "10,012 goroutines, 10,000 (99.88%) in [chan receive, 17
// minutes] at main.worker".
func (g *Goroutines) Headline() string {
	if g == nil || g.Total == 0 {
		return ""
	}
	if len(g.Groups) == 0 {
		return fmt.Sprintf("%d goroutines", g.Total)
	}
	top := g.Groups[0]
	return fmt.Sprintf("%d goroutines, %d (%s) in [%s] at %s",
		g.Total, top.Count, formatPercent(percent(int64(top.Count), int64(g.Total))), top.Wait(), top.Top)
}
