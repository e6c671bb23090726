package pprof

import (
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// Profile kinds reported in Summary.Kind.
const (
	KindHeap      = "heap"
	KindAllocs    = "allocs"
	KindCPU       = "cpu"
	KindGoroutine = "goroutine"
	KindBlock     = "block"
	KindMutex     = "mutex"
	KindUnknown   = "unknown"
)

// kindOf names the kind of profile p from its period and sample types, the
// way runtime/pprof writes them.
//
// Heap and allocs profiles differ only in their default sample type
// (alloc_space for allocs). Block and mutex profiles have identical types,
// so they are told apart by their innermost frames: mutex profiles record
// contention where the lock is released, so their stacks end in an unlock.
// An empty contention profile is reported as block.
func kindOf(p *profile.Profile) string {
	return kindFrom(p, slices.ContainsFunc(p.Sample, endsInUnlock))
}

// kindFrom is kindOf for a profile whose samples unlock says whether some
// sample's innermost frame releases a lock; p's own samples are not read.
func kindFrom(p *profile.Profile, unlock bool) string {
	types := make([]string, len(p.SampleType))
	for i, st := range p.SampleType {
		types[i] = st.Type
	}
	has := func(t string) bool { return slices.Contains(types, t) }
	period := ""
	if p.PeriodType != nil {
		period = p.PeriodType.Type
	}

	switch {
	case has("inuse_space") || has("alloc_space") || has("inuse_objects") || has("alloc_objects"):
		if strings.HasPrefix(p.DefaultSampleType, "alloc_") {
			return KindAllocs
		}
		return KindHeap
	case period == "cpu" || has("cpu"):
		return KindCPU
	case period == "goroutine" || has("goroutine"):
		return KindGoroutine
	case has("contentions") && has("delay"):
		if unlock {
			return KindMutex
		}
		return KindBlock
	}
	return KindUnknown
}

// endsInUnlock reports whether the innermost frame of s releases a lock.
func endsInUnlock(s *profile.Sample) bool {
	if len(s.Location) == 0 || len(s.Location[0].Line) == 0 {
		return false
	}
	fn := s.Location[0].Line[0].Function
	if fn == nil {
		return false
	}
	name := fn.Name
	return strings.HasSuffix(name, "Unlock") ||
		strings.HasPrefix(name, "runtime.unlock") ||
		name == "runtime._LostContendedRuntimeLock"
}

// applyKind makes p a profile of kind when p cannot say so itself: an
// allocs profile without its default sample type gets alloc_space back,
// in place (it is the truth about p).
func applyKind(p *profile.Profile, kind string) {
	if kind == KindAllocs && p.DefaultSampleType == "" && kindFrom(p, false) == KindHeap &&
		slices.ContainsFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == "alloc_space" }) {
		p.DefaultSampleType = "alloc_space"
	}
}
