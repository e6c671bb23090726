package pprof

import (
	"errors"
	"slices"

	"github.com/google/pprof/profile"
)

// viewTypes are the sample types worth reading for each kind of profile,
// most telling first. The first that the profile has becomes the main view.
var viewTypes = map[string][]string{
	KindHeap:      {"inuse_space", "inuse_objects", "alloc_space"},
	KindAllocs:    {"alloc_space", "alloc_objects", "inuse_space"},
	KindCPU:       {"cpu"},
	KindGoroutine: {"goroutine"},
	KindBlock:     {"delay", "contentions"},
	KindMutex:     {"delay", "contentions"},
}

// Analyze summarizes every telling sample type of p: for heap profiles
// inuse_space, inuse_objects and alloc_space; for CPU the time (with the
// profile's window); for goroutine profiles the count; for block and mutex
// profiles the delay and the contentions. The first summary is the main one
// and carries the headline that matters. With opts.SampleIndex set, only
// that sample type is summarized. With opts.Kind set to allocs, an allocs
// profile that lost its default sample type gets it back in p.
func Analyze(p *profile.Profile, opts Options) ([]Summary, error) {
	if p == nil {
		return nil, errors.New("nil profile")
	}
	applyKind(p, opts.Kind)
	if opts.SampleIndex != "" {
		s, err := Summarize(p, opts)
		if err != nil {
			return nil, err
		}
		return []Summary{s}, nil
	}
	return summarizeTypes(p, viewsOf(p, kindOf(p)), opts.Top, false)
}

// viewsOf names the sample types Analyze summarizes for a profile of kind
// kind that has p's sample types: the telling ones it has, or pprof's
// default.
func viewsOf(p *profile.Profile, kind string) []string {
	var types []string
	for _, t := range viewTypes[kind] {
		if slices.ContainsFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == t }) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		types = []string{""} // pprof's default
	}
	return types
}
