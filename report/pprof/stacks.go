package pprof

import "github.com/google/pprof/profile"

// stacks is what the tables and headlines of several sample types of one
// profile need from its samples, gathered in a single walk over them (see
// walker) that keeps nothing per sample: each function's flat and cum value
// for every sample type, the totals, and the values by flat function and
// innermost user function that the headline weighs. Its size depends on the
// number of functions, not of samples.
type stacks struct {
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
	// Per view: the sum of |value| over all samples (all) and over those
	// of a diff's base (base), and the sum of the values (net).
	all, base, net []int64
	// pairs indexes the (flat node, first user node) pairs of the
	// samples; a stack without user code has -2-site instead of the user
	// node, where site is its first frame above the runtime's allocation
	// and stack-switching helpers (see runtimeSite); pairSum holds each pair's summed values per view, and
	// pairSeen whether a sample with a non-zero value had it, both at
	// pair*len(idxs)+j.
	pairs    map[[2]int32]int32
	pairKeys [][2]int32
	pairSum  []int64
	pairSeen []bool
	// unlock is whether some sample's innermost frame releases a lock.
	unlock bool
}

// newStacks gathers the stacks of samples, which use p's locations, for the
// sample value indexes idxs. p is not modified. It returns the error of
// samples.
func newStacks(p *profile.Profile, samples sampleSource, idxs []int) (*stacks, error) {
	w := newWalker(p)
	k := len(idxs)
	st := &stacks{idxs: idxs}
	st.reset()
	vals := make([]int64, k)
	visit := func(s *profile.Sample, ids []int32) {
		base := s.DiffBaseSample()
		for j, idx := range idxs {
			v := s.Value[idx]
			vals[j] = v
			st.net[j] += v
			st.all[j] += abs(v)
			if base {
				st.base[j] += abs(v)
			}
		}
		if !st.unlock && endsInUnlock(s) {
			st.unlock = true
		}
		if len(ids) == 0 {
			return
		}
		if grow := len(w.infos)*k - len(st.cum); grow > 0 {
			st.flat = append(st.flat, make([]int64, grow)...)
			st.cum = append(st.cum, make([]int64, grow)...)
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
		st.addPair(ids, w.user, w.names, vals)
	}
	if err := w.walk(samples, visit, st.reset); err != nil {
		return nil, err
	}
	st.infos, st.names, st.user = w.infos, w.names, w.user
	return st, nil
}

// reset empties st for a new walk.
func (st *stacks) reset() {
	k := len(st.idxs)
	st.flat, st.cum = st.flat[:0], st.cum[:0]
	st.all, st.base, st.net = make([]int64, k), make([]int64, k), make([]int64, k)
	st.pairs = make(map[[2]int32]int32)
	st.pairKeys, st.pairSum, st.pairSeen = nil, nil, nil
	st.unlock = false
}

// addPair adds a sample's values to the pair of its flat node ids[0] and
// its first user node, or, without user code, its runtime site.
func (st *stacks) addPair(ids []int32, user []bool, names []string, vals []int64) {
	key := [2]int32{ids[0], -1}
	for _, id := range ids {
		if user[id] {
			key[1] = id
			break
		}
	}
	if key[1] < 0 {
		key[1] = -2 - runtimeSite(ids, names)
	}
	k := len(vals)
	p, ok := st.pairs[key]
	if !ok {
		p = int32(len(st.pairKeys))
		st.pairs[key] = p
		st.pairKeys = append(st.pairKeys, key)
		st.pairSum = append(st.pairSum, make([]int64, k)...)
		st.pairSeen = append(st.pairSeen, make([]bool, k)...)
	}
	sum, seen := st.pairSum[int(p)*k:int(p)*k+k], st.pairSeen[int(p)*k:int(p)*k+k]
	for j, v := range vals {
		sum[j] += v
		if v != 0 {
			seen[j] = true
		}
	}
}

// total is pprof's report total of view j: the sum of |value| over all
// samples, or when some samples carry the pprof::base=true label (a diff
// profile), over those only.
func (st *stacks) total(j int) int64 {
	if st.base[j] > 0 {
		return st.base[j]
	}
	return st.all[j]
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
