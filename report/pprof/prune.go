package pprof

import (
	"regexp"
	"strings"

	"github.com/google/pprof/profile"
)

// Pruning: the frames a profile asks to drop (Profile.DropFrames and
// KeepFrames, set by some legacy profiles) are removed as pprof removes them
// on load (profile.RemoveUninteresting, then Prune), but without copying or
// changing the profile: a location's pruning is the number of its lines to
// skip, a sample's the number of its leaf locations to skip.

// Bits of a location's pruning flags, which pprof keys by location ID.
const (
	pruneBeneath = 1 << iota // a line matches: frames beneath it go
	pruneWhole               // the outermost line matches: the location goes
)

// dropRegexps compiles p's DropFrames and KeepFrames as RemoveUninteresting
// does. drop is nil when nothing is to be pruned, also when DropFrames does
// not compile: like pprof, the profile is then summarized unpruned.
func dropRegexps(p *profile.Profile) (drop, keep *regexp.Regexp) {
	if p.DropFrames == "" {
		return nil, nil
	}
	drop, err := regexp.Compile("^(" + p.DropFrames + ")$")
	if err != nil {
		return nil, nil
	}
	if p.KeepFrames != "" {
		if keep, err = regexp.Compile("^(" + p.KeepFrames + ")$"); err != nil {
			return nil, nil
		}
	}
	return drop, keep
}

// pruner decides, as profile.Prune does, where locations and samples are cut.
type pruner struct {
	drop, keep *regexp.Regexp
	cache      map[*profile.Function]bool
}

// cut returns how many of l's lines (innermost first) Prune leaves out and
// l's flags: Prune finds the outermost line whose function matches; it drops
// the lines beneath it, or flags the whole location when that is l's
// outermost line (whose lines it then leaves alone).
func (pr *pruner) cut(l *profile.Location) (skip int, flags uint8) {
	i := len(l.Line) - 1
	for ; i >= 0; i-- {
		if fn := l.Line[i].Function; fn != nil && fn.Name != "" && pr.matches(fn) {
			break
		}
	}
	switch {
	case i < 0:
		return 0, 0
	case i == len(l.Line)-1:
		return 0, pruneBeneath | pruneWhole
	default:
		return i + 1, pruneBeneath
	}
}

// matches reports whether frames from function fn on are pruned.
func (pr *pruner) matches(fn *profile.Function) bool {
	if r, ok := pr.cache[fn]; ok {
		return r
	}
	name := simplifyFunc(fn.Name)
	r := pr.drop.MatchString(name) && (pr.keep == nil || !pr.keep.MatchString(name))
	pr.cache[fn] = r
	return r
}

// sampleStart returns how many leaf locations of a sample Prune removes,
// given the slots of its locations, leaf first, and the slots' flags.
// Scanning from the root, it cuts at the first flagged location past the
// first unflagged one: beneath it, or the location too when it is flagged
// whole.
func sampleStart(slots []int32, flags []uint8) int {
	foundUser := false
	for i := len(slots) - 1; i >= 0; i-- {
		f := flags[slots[i]]
		if f == 0 {
			foundUser = true
			continue
		}
		if !foundUser {
			continue
		}
		if f&pruneWhole != 0 {
			return i + 1
		}
		return i
	}
	return 0
}

// simplifyFunc is pprof's (unexported) simplification of a function name
// before matching it against DropFrames: a leading '.' goes, and so does
// everything from the first '(' that is not part of a reserved name,
// "(anonymous namespace)" or "operator()". pprof scans for the three with a
// regexp, leftmost first; this is the same scan without one.
func simplifyFunc(f string) string {
	name := strings.TrimPrefix(f, ".")
	for i := 0; i < len(name); i++ {
		switch {
		case strings.HasPrefix(name[i:], "(anonymous namespace)"):
			i += len("(anonymous namespace)") - 1
		case strings.HasPrefix(name[i:], "operator()"):
			i += len("operator()") - 1
		case name[i] == '(':
			return name[:i]
		}
	}
	return name
}
