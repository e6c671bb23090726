package flame

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/google/pprof/profile"
)

// node is one frame of the call tree: a function reached by one path
// from the root. Values are in the profile's unit.
type node struct {
	name     int32 // index in tree.names
	self     int64 // value of the samples whose leaf is this frame
	value    int64 // self and children's values, clamped at 0 (see settle)
	children []int32
	hot      bool // on the culprit's path
	// hotBelow says a stack through this frame was cut below it (see
	// builder.maxDepth) where it held the culprit.
	hotBelow bool
	// cutBelow says a stack through this frame was cut below it.
	cutBelow bool
}

// tree is a profile's call tree, root first (the root is the whole
// profile and has no function).
type tree struct {
	names []string
	nodes []node
	depth int // deepest frame with a value, the root at 0 (see settle)
	cut   int // frames with a value whose stacks were cut below them (see settle)
}

// edge finds a child by parent and function name.
type edge struct{ parent, name int32 }

// builder builds a tree from the samples of one or more profiles.
type builder struct {
	t     *tree
	ids   map[string]int32
	edges map[edge]int32
	path  []int32
	// maxDepth cuts stacks to their first maxDepth frames from the root
	// (0: never): deeper frames are never drawn, and would only grow the
	// tree. target is the function whose frames below a cut mark the
	// frame above it (hotBelow); -1 for none.
	maxDepth int
	target   int32
}

// newBuilder starts a tree whose stacks are cut at maxDepth frames (0:
// never), remembering where target was cut off.
func newBuilder(maxDepth int, target string) *builder {
	b := &builder{t: &tree{nodes: []node{{name: -1}}}, ids: make(map[string]int32), edges: make(map[edge]int32),
		maxDepth: maxDepth, target: -1}
	if target != "" {
		b.target = b.intern(target)
	}
	return b
}

// add adds the samples of src, of the sample type named sampleType (""
// for the profile's default), each value multiplied by sign.
func (b *builder) add(src Source, sampleType string, sign int64) error {
	if src.Header == nil || src.Each == nil {
		return errors.New("no profile")
	}
	idx, err := src.Header.SampleIndexByName(sampleType)
	if err != nil {
		return fmt.Errorf("select sample type: %w", err)
	}
	// The frames of each location, named once: a location is shared by
	// many samples.
	frames := make(map[*profile.Location][]int32, len(src.Header.Location))
	return src.Each(func(s *profile.Sample) error {
		if idx >= len(s.Value) || s.Value[idx] == 0 {
			return nil
		}
		b.path = b.path[:0]
		// Locations run from the leaf to the root.
		for i := len(s.Location) - 1; i >= 0; i-- {
			loc := s.Location[i]
			if loc == nil {
				continue
			}
			f, ok := frames[loc]
			if !ok {
				f = b.locationFrames(loc)
				frames[loc] = f
			}
			b.path = append(b.path, f...)
		}
		b.insert(b.path, sign*s.Value[idx])
		return nil
	})
}

// locationFrames names the frames of a location, caller first: its lines
// run from the innermost inlined function to the one it was inlined into.
func (b *builder) locationFrames(loc *profile.Location) []int32 {
	if len(loc.Line) == 0 {
		return []int32{b.intern(fmt.Sprintf("0x%x", loc.Address))}
	}
	f := make([]int32, 0, len(loc.Line))
	for j := len(loc.Line) - 1; j >= 0; j-- {
		name := "?"
		if fn := loc.Line[j].Function; fn != nil && fn.Name != "" {
			name = fn.Name
		}
		f = append(f, b.intern(name))
	}
	return f
}

func (b *builder) intern(name string) int32 {
	if id, ok := b.ids[name]; ok {
		return id
	}
	id := int32(len(b.t.names))
	b.t.names = append(b.t.names, name)
	b.ids[name] = id
	return id
}

// fewChildren is how many children a frame has before its children are
// found through the edge map rather than by a scan.
const fewChildren = 8

// insert adds v to the frames of path, root first, cut at maxDepth.
func (b *builder) insert(path []int32, v int64) {
	var below []int32
	if b.maxDepth > 0 && len(path) > b.maxDepth {
		path, below = path[:b.maxDepth], path[b.maxDepth:]
	}
	cur := int32(0)
	for _, name := range path {
		cur = b.child(cur, name)
	}
	b.t.nodes[cur].self += v
	b.t.nodes[cur].cutBelow = b.t.nodes[cur].cutBelow || len(below) > 0
	if b.target >= 0 && slices.Contains(below, b.target) {
		b.t.nodes[cur].hotBelow = true
	}
}

// child is the child of parent for the function name, added if new.
func (b *builder) child(parent, name int32) int32 {
	kids := b.t.nodes[parent].children
	if len(kids) <= fewChildren {
		for _, c := range kids {
			if b.t.nodes[c].name == name {
				return c
			}
		}
	} else if c, ok := b.edges[edge{parent, name}]; ok {
		return c
	}
	c := int32(len(b.t.nodes))
	b.t.nodes = append(b.t.nodes, node{name: name})
	kids = append(kids, c)
	b.t.nodes[parent].children = kids
	switch {
	case len(kids) == fewChildren+1: // from now on through the map
		for _, k := range kids {
			b.edges[edge{parent, b.t.nodes[k].name}] = k
		}
	case len(kids) > fewChildren+1:
		b.edges[edge{parent, name}] = c
	}
	return c
}

// settle computes every node's value as its own positive value and its
// children's, so that a difference of two profiles shows what grew (a
// frame that shrank takes no room), and sorts children heaviest first.
// The tree is walked without recursion: stacks can be deep.
func (t *tree) settle() {
	// Nodes are appended after their parent, so a reverse pass sees every
	// child before its parent.
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := &t.nodes[i]
		v := max(n.self, 0)
		for _, c := range n.children {
			v += t.nodes[c].value
		}
		n.value = v
		slices.SortFunc(n.children, func(a, b int32) int {
			na, nb := &t.nodes[a], &t.nodes[b]
			return cmp.Or(cmp.Compare(nb.value, na.value), cmp.Compare(t.names[na.name], t.names[nb.name]))
		})
	}
	// Depths run forward: a parent comes before its children.
	depth := make([]int32, len(t.nodes))
	t.depth, t.cut = 0, 0
	for i := range t.nodes {
		if t.nodes[i].value <= 0 {
			continue
		}
		t.depth = max(t.depth, int(depth[i]))
		if t.nodes[i].cutBelow {
			t.cut++
		}
		for _, c := range t.nodes[i].children {
			depth[c] = depth[i] + 1
		}
	}
}

// markHot marks the culprit's path: every frame of culprit that carries
// value, the frames above it up to the root, and, below it, the frames
// down to leaf (the headline's function) where leaf is under it. Without
// a culprit, leaf's frames and their ancestors are marked. A frame whose
// stacks were cut where they held the culprit is marked with its
// ancestors.
func (t *tree) markHot(culprit, leaf string) {
	target := culprit
	if target == "" {
		target = leaf
	}
	if target == "" {
		return
	}
	parent := make([]int32, len(t.nodes))
	parent[0] = -1
	for i := range t.nodes {
		for _, c := range t.nodes[i].children {
			parent[c] = int32(i)
		}
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		// A frame already marked lies under an earlier frame of target,
		// whose walk down covered it.
		if n.hotBelow && n.value > 0 {
			for p := int32(i); p >= 0 && !t.nodes[p].hot; p = parent[p] {
				t.nodes[p].hot = true
			}
			continue
		}
		if n.name < 0 || n.value <= 0 || n.hot || t.names[n.name] != target {
			continue
		}
		for p := int32(i); p >= 0 && !t.nodes[p].hot; p = parent[p] {
			t.nodes[p].hot = true
		}
		if leaf != "" && leaf != target {
			t.markDown(int32(i), leaf)
		}
	}
}

// markDown marks the frames from below from down to every frame of leaf
// under it, which it reports having found.
func (t *tree) markDown(from int32, leaf string) bool {
	found := false
	for _, c := range t.nodes[from].children {
		n := &t.nodes[c]
		if n.value <= 0 {
			continue
		}
		if t.names[n.name] == leaf || t.markDown(c, leaf) {
			n.hot, found = true, true
		}
	}
	return found
}
