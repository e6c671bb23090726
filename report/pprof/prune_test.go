package pprof

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// TestStacksPruneLikePprof checks the walker's pruning against pprof's own:
// RemoveUninteresting on shallow copies of the samples and locations. Each
// sample must list the same distinct functions in the same order.
func TestStacksPruneLikePprof(t *testing.T) {
	var cases []*profile.Profile
	for _, c := range synthCases {
		cases = append(cases, c.profile())
	}
	for seed := range uint64(200) {
		cases = append(cases, randomPruneProfile(rand.New(rand.NewPCG(seed, 7))))
	}
	for i, p := range cases {
		w := newWalker(p)
		got := make([][]string, len(p.Sample))
		j := 0
		err := w.walk(sliceSource(p.Sample), func(_ *profile.Sample, ids []int32) {
			for _, id := range ids {
				got[j] = append(got[j], w.names[id])
			}
			j++
		}, func() { clear(got); j = 0 })
		if err != nil {
			t.Fatal(err)
		}
		want := pprofPruned(p)
		for j := range p.Sample {
			if w := distinctFrames(want[j]); !slices.Equal(got[j], w) {
				t.Fatalf("profile %d (drop %q keep %q) sample %d: got %q, pprof %q",
					i, p.DropFrames, p.KeepFrames, j, got[j], w)
			}
		}
	}
}

// pprofPruned returns the samples of p as pprof prunes them on load, working
// on shallow copies so that p is unchanged.
func pprofPruned(p *profile.Profile) []*profile.Sample {
	if p.DropFrames == "" {
		return p.Sample
	}
	cp := &profile.Profile{DropFrames: p.DropFrames, KeepFrames: p.KeepFrames}
	locs := make(map[*profile.Location]*profile.Location)
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
	for _, s := range p.Sample {
		c := *s
		c.Location = make([]*profile.Location, len(s.Location))
		for j, l := range s.Location {
			c.Location[j] = copyLoc(l)
		}
		cp.Sample = append(cp.Sample, &c)
	}
	if err := cp.RemoveUninteresting(); err != nil {
		return p.Sample
	}
	return cp.Sample
}

// distinctFrames lists the printed names of s's distinct function nodes in
// the order of their first frame, innermost first.
func distinctFrames(s *profile.Sample) []string {
	var out []string
	seen := make(map[nodeInfo]bool)
	add := func(info nodeInfo) {
		if !seen[info] {
			seen[info] = true
			out = append(out, info.printableName())
		}
	}
	for _, l := range s.Location {
		if len(l.Line) == 0 {
			add(frameInfo(l, nil))
		}
		for _, line := range l.Line {
			add(frameInfo(l, line.Function))
		}
	}
	return out
}

// randomPruneProfile is a small profile with inlined frames, frames to drop
// and keep, locations without lines, and locations missing from the table
// (one of them sharing an ID with a table location).
func randomPruneProfile(r *rand.Rand) *profile.Profile {
	names := []string{"runtime.mallocgc", "runtime.newobject", "runtime.keepme", "runtime.keepout",
		"x.(*T).f", ".x.dot", "main.a", "main.b", "main.c", "lib.d", "operator()", ""}
	m := &profile.Mapping{ID: 1, File: "/bin/app"}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}},
		Mapping:    []*profile.Mapping{m},
		DropFrames: `runtime\.malloc.*|runtime\.newobject|runtime\.keep.*|x\.|x\.dot|operator\(\)`,
	}
	if r.IntN(2) == 0 {
		p.KeepFrames = `runtime\.keepme`
	}
	for i, n := range names {
		p.Function = append(p.Function, &profile.Function{ID: uint64(i + 1), Name: n})
	}
	newLoc := func(id uint64) *profile.Location {
		l := &profile.Location{ID: id, Mapping: m}
		for range r.IntN(4) {
			l.Line = append(l.Line, profile.Line{Function: p.Function[r.IntN(len(p.Function))]})
		}
		return l
	}
	for i := range 12 {
		p.Location = append(p.Location, newLoc(uint64(i+1)))
	}
	strays := []*profile.Location{newLoc(100), newLoc(3)}
	for range 30 {
		s := &profile.Sample{Value: []int64{int64(r.IntN(100))}}
		for range r.IntN(8) {
			l := p.Location[r.IntN(len(p.Location))]
			if r.IntN(10) == 0 {
				l = strays[r.IntN(len(strays))]
			}
			s.Location = append(s.Location, l)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// TestSimplifyFunc checks simplifyFunc against pprof's regexp version.
func TestSimplifyFunc(t *testing.T) {
	reserved := []string{"(anonymous namespace)", "operator()"}
	bracketRx := regexp.MustCompile(`\(anonymous namespace\)|operator\(\)|\(`)
	pprofSimplify := func(f string) string {
		name := strings.TrimPrefix(f, ".")
		for _, ind := range bracketRx.FindAllStringSubmatchIndex(name, -1) {
			if !slices.Contains(reserved, name[ind[0]:ind[1]]) {
				return name[:ind[0]]
			}
		}
		return name
	}
	names := []string{"", "main.f", ".main.f", "..f", "x.(*T).f", "(anonymous namespace)::f(int)",
		"operator()", "ns::operator()(int)", "operator(", "(anonymous namespace", "a(anonymous namespace)(b",
		"operator()(anonymous namespace)x(", "((", "operatoroperator()(", "github.com/a/b.F[...](x)"}
	r := rand.New(rand.NewPCG(1, 1))
	parts := []string{"(", ")", "a", ".", "operator", "operator()", "(anonymous namespace)", "(anonymous", " namespace)"}
	for range 2000 {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		names = append(names, b.String())
	}
	for _, n := range names {
		if got, want := simplifyFunc(n), pprofSimplify(n); got != want {
			t.Errorf("simplifyFunc(%q) = %q, pprof %q", n, got, want)
		}
	}
}
