package pprof

import (
	"cmp"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"

	"github.com/google/pprof/profile"
)

// nodeFraction is pprof's default -nodefraction: functions whose |cum| is
// below this share of the summed flat values are left out of reports.
const nodeFraction = 0.005

// nodeInfo identifies one function-granularity node. Its fields, their order
// and their types mirror pprof's graph.NodeInfo after pprof aggregates a
// profile to functions (address, file and line zeroed), so that fmt.Sprint
// of it, pprof's last-resort tie-breaker, gives the same strings.
type nodeInfo struct {
	Name              string
	OrigName          string
	Address           uint64
	File              string
	StartLine, Lineno int
	Columnno          int
	Objfile           string
}

// printableName is the name pprof prints for the node.
func (i nodeInfo) printableName() string {
	switch {
	case i.Name != "":
		return i.Name
	case i.Objfile != "":
		return "[" + filepath.Base(i.Objfile) + "]"
	default:
		return "<unknown>"
	}
}

// node accumulates the values of one function.
type node struct {
	info      nodeInfo
	name      string
	flat, cum int64
}

// frameInfo returns the node identity of one frame of location l.
// fn is nil for a location that has no line information at all.
func frameInfo(l *profile.Location, fn *profile.Function) nodeInfo {
	var objfile string
	if m := l.Mapping; m != nil && m.File != "" && !isURL(m) {
		objfile = m.File
	}
	if fn == nil {
		return nodeInfo{Objfile: objfile}
	}
	if fn.Name != "" {
		return nodeInfo{Name: fn.Name}
	}
	return nodeInfo{Objfile: objfile, StartLine: int(fn.StartLine)}
}

// isURL reports whether a mapping's file is an absolute URL with no build ID;
// pprof blanks those when it loads a profile.
func isURL(m *profile.Mapping) bool {
	if m.BuildID != "" || filepath.VolumeName(m.File) != "" {
		return false
	}
	u, err := url.Parse(m.File)
	return err == nil && u.IsAbs()
}

// graph is the set of function nodes of a profile for one sample value.
type graph struct {
	nodes []*node
}

// trim drops nodes whose |cum| is below nodeFraction of the summed flat
// values, as pprof does before selecting the top N, and returns how many it
// dropped.
func (g *graph) trim() int {
	var flatSum int64
	for _, n := range g.nodes {
		flatSum += n.flat
	}
	cutoff := abs(int64(float64(flatSum) * nodeFraction))
	if cutoff == 0 {
		return 0
	}
	before := len(g.nodes)
	g.nodes = slices.DeleteFunc(g.nodes, func(n *node) bool { return abs(n.cum) < cutoff })
	return before - len(g.nodes)
}

// sort orders nodes like pprof's FlatNameOrder: |flat| descending, then
// printed name ascending. pprof leaves the order of distinct nodes with the
// same flat value and the same printed name (say two "[binary]" nodes) to
// its unstable sort; here they fall back to |cum| descending and then the
// node identity, so the result is deterministic.
func (g *graph) sort() { g.sortBy(nodeFlat, nodeCum) }

// sortCum orders nodes like pprof's CumNameOrder (-cum): |cum| descending,
// then printed name ascending, then |flat| descending, then node identity.
func (g *graph) sortCum() { g.sortBy(nodeCum, nodeFlat) }

func nodeFlat(n *node) int64 { return abs(n.flat) }
func nodeCum(n *node) int64  { return abs(n.cum) }

// sortBy orders nodes by first descending, then printed name ascending,
// then by then descending, then node identity.
func (g *graph) sortBy(first, then func(*node) int64) {
	slices.SortFunc(g.nodes, func(a, b *node) int {
		if c := cmp.Compare(first(b), first(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(then(b), then(a)); c != 0 {
			return c
		}
		return cmp.Compare(fmt.Sprint(a.info), fmt.Sprint(b.info))
	})
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
