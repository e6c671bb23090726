package pprof

import "github.com/google/pprof/profile"

// stacks is what the tables and headlines of several sample types of one
// profile need from its samples, gathered in a single walk over them (see
// walker): each function's flat and cum value for every sample type, and
// each sample's flat function and innermost user function.
type stacks struct {
	samples []*profile.Sample
	// idxs are the sample value indexes gathered; view j is of idxs[j].
	idxs []int
	// The nodes' identities, printed names, and whether each is user code.
	infos []nodeInfo
	names []string
	user  []bool
	// flat and cum of node id in view j are at id*len(idxs)+j. A sample
	// adds to the cum of every distinct function on its stack once, and
	// to the flat of its innermost frame.
	flat, cum []int64
	// leaf[i] is sample i's flat node and caller[i] the first user node
	// of its stack, innermost first; -1 for none.
	leaf, caller []int32
}

// newStacks gathers the stacks of p's samples for the sample value indexes
// idxs. p is not modified.
func newStacks(p *profile.Profile, idxs []int) *stacks {
	w := newWalker(p)
	st := &stacks{
		samples: p.Sample,
		idxs:    idxs,
		leaf:    make([]int32, len(p.Sample)),
		caller:  make([]int32, len(p.Sample)),
	}
	k := len(idxs)
	vals := make([]int64, k)
	visit := func(i int, ids []int32) {
		st.leaf[i], st.caller[i] = -1, -1
		if len(ids) == 0 {
			return
		}
		if grow := len(w.infos)*k - len(st.cum); grow > 0 {
			st.flat = append(st.flat, make([]int64, grow)...)
			st.cum = append(st.cum, make([]int64, grow)...)
		}
		st.leaf[i] = ids[0]
		for _, id := range ids {
			if w.user[id] {
				st.caller[i] = id
				break
			}
		}
		s := st.samples[i]
		for j, idx := range idxs {
			vals[j] = s.Value[idx]
		}
		for _, id := range ids {
			cum := st.cum[int(id)*k : int(id)*k+k]
			for j, v := range vals {
				cum[j] += v
			}
		}
		flat := st.flat[int(ids[0])*k : int(ids[0])*k+k]
		for j, v := range vals {
			flat[j] += v
		}
	}
	w.walk(visit, func() {
		clear(st.flat)
		clear(st.cum)
	})
	st.infos, st.names, st.user = w.infos, w.names, w.user
	return st
}

// graph is the function nodes of view j that have a value.
func (st *stacks) graph(j int) *graph {
	k := len(st.idxs)
	all := make([]node, len(st.infos))
	g := &graph{}
	for id := range all {
		var flat, cum int64
		if id*k+j < len(st.flat) {
			flat, cum = st.flat[id*k+j], st.cum[id*k+j]
		}
		if flat == 0 && cum == 0 {
			continue
		}
		all[id] = node{info: st.infos[id], name: st.names[id], flat: flat, cum: cum}
		g.nodes = append(g.nodes, &all[id])
	}
	return g
}
