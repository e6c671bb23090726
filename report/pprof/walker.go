package pprof

import (
	"errors"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/report/internal/funcname"
)

// walker walks a profile's samples as stacks of function nodes: inlined
// frames expanded, the frames the profile asks to drop pruned (see
// prune.go), and each function listed once per sample. It never modifies
// the profile.
type walker struct {
	pr *pruner // nil when nothing is to be pruned
	// The nodes: their identities, printed names, and whether each is
	// user code (isUserFunc of its name).
	infos  []nodeInfo
	names  []string
	user   []bool
	byInfo map[nodeInfo]int32
	// byFrame caches the node of a frame: its function and its location's
	// mapping decide its nodeInfo (see frameInfo).
	byFrame map[frameKey]int32
	// seen[id] is the stamp of the last sample that listed node id.
	seen []int32
	// frames holds the nodes of the frames of the expanded locations.
	frames []int32
	// Each distinct location has a slot, which indexes locs, spans, skip
	// (lines pruned) and flags (pruneBeneath, pruneWhole). The slot of l
	// is byID[l.ID].slot when byID[l.ID].loc is l, else bySlot[l].
	locs   []*profile.Location
	spans  []span
	skip   []int32
	flags  []uint8
	byID   []idSlot
	bySlot map[*profile.Location]int32
}

// idSlot is a location and its slot, side by side for one memory access.
type idSlot struct {
	loc  *profile.Location
	slot int32
}

// span is a range of walker.frames: the nodes of one location's frames. A
// location not yet expanded has lo < 0.
type span struct{ lo, hi int32 }

// frameKey identifies a frame as far as its node goes.
type frameKey struct {
	fn *profile.Function
	m  *profile.Mapping
}

// newWalker prepares to walk samples of p: its locations and the frames
// it asks to drop. p's own samples are not read.
func newWalker(p *profile.Profile) *walker {
	w := &walker{
		byInfo:  make(map[nodeInfo]int32),
		byFrame: make(map[frameKey]int32),
	}
	if drop, keep := dropRegexps(p); drop != nil {
		w.pr = &pruner{drop: drop, keep: keep, cache: make(map[*profile.Function]bool)}
	}
	w.indexLocations(p.Location)
	return w
}

// sampleSource calls fn with each sample of a profile, in order, until fn
// returns an error, which it returns. A sample may be reused once fn
// returns.
type sampleSource func(fn func(s *profile.Sample) error) error

// sliceSource is the samples of a profile in memory.
func sliceSource(samples []*profile.Sample) sampleSource {
	return func(fn func(s *profile.Sample) error) error {
		for _, s := range samples {
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// errRestart stops a walk that met a location it did not know.
var errRestart = errors.New("restart the walk")

// walk calls visit for each sample of samples, in order, with the sample
// and its distinct nodes in the order of their first frame from the
// innermost out; the first is the sample's flat node, and a sample whose
// stack is empty has none. ids is only valid during the call.
//
// Pruning must know every location. Samples of a parsed profile use only
// the location table's, so walk assumes they do; should a sample use
// another, walk calls restart and walks again, knowing them all. It
// returns the error of samples.
func (w *walker) walk(samples sampleSource, visit func(s *profile.Sample, ids []int32), restart func()) error {
	for {
		done, err := w.try(samples, visit)
		if err != nil || done {
			return err
		}
		restart()
		clear(w.seen)
		w.frames = w.frames[:0]
		for s := range w.spans {
			w.spans[s] = span{-1, -1}
		}
	}
}

// try is one walk; it stops and reports false when a sample uses a location
// whose pruning it did not know.
func (w *walker) try(samples sampleSource, visit func(s *profile.Sample, ids []int32)) (bool, error) {
	pruning := w.pr != nil && w.prune()
	known := len(w.locs)
	var slots, ids []int32
	var stamp int32
	err := samples(func(s *profile.Sample) error {
		slots = slots[:0]
		for _, l := range s.Location {
			slots = append(slots, w.slot(l))
		}
		if w.pr != nil && len(w.locs) > known {
			return errRestart
		}
		if pruning {
			slots = slots[sampleStart(slots, w.flags):]
		}
		ids = ids[:0]
		stamp++
		for _, sl := range slots {
			for _, id := range w.framesOf(sl) {
				if w.seen[id] != stamp {
					w.seen[id] = stamp
					ids = append(ids, id)
				}
			}
		}
		visit(s, ids)
		return nil
	})
	if errors.Is(err, errRestart) {
		return false, nil
	}
	return err == nil, err
}

// indexLocations gives the location table's locations the first slots,
// found by ID when the IDs are dense enough.
func (w *walker) indexLocations(locs []*profile.Location) {
	var maxID uint64
	for _, l := range locs {
		maxID = max(maxID, l.ID)
	}
	if maxID < uint64(4*len(locs)+1024) {
		w.byID = make([]idSlot, maxID+1)
	}
	w.locs = make([]*profile.Location, 0, len(locs))
	w.spans = make([]span, 0, len(locs))
	w.skip = make([]int32, 0, len(locs))
	w.frames = make([]int32, 0, len(locs)+len(locs)/2)
	for _, l := range locs {
		w.slot(l)
	}
}

// slot returns the slot of l, giving it one if it has none.
func (w *walker) slot(l *profile.Location) int32 {
	if l.ID < uint64(len(w.byID)) {
		if e := w.byID[l.ID]; e.loc == l {
			return e.slot
		}
	}
	if s, ok := w.bySlot[l]; ok {
		return s
	}
	s := int32(len(w.locs))
	w.locs = append(w.locs, l)
	w.spans = append(w.spans, span{-1, -1})
	w.skip = append(w.skip, 0)
	if w.flags != nil {
		w.flags = append(w.flags, 0)
	}
	if l.ID < uint64(len(w.byID)) && w.byID[l.ID].loc == nil {
		w.byID[l.ID] = idSlot{l, s}
	} else {
		if w.bySlot == nil {
			w.bySlot = make(map[*profile.Location]int32)
		}
		w.bySlot[l] = s
	}
	return s
}

// prune works out how w.pr cuts every location with a slot, and reports
// whether any is cut. Prune flags locations by ID, so every location of a
// flagged ID is treated as flagged.
func (w *walker) prune() bool {
	byID := make(map[uint64]uint8)
	for s, l := range w.locs {
		skip, f := w.pr.cut(l)
		w.skip[s] = int32(skip)
		if f != 0 {
			byID[l.ID] |= f
		}
	}
	if len(byID) == 0 {
		w.flags = nil
		return false
	}
	w.flags = make([]uint8, len(w.locs))
	for s, l := range w.locs {
		w.flags[s] = byID[l.ID]
	}
	return true
}

// framesOf returns the nodes of the frames of the location in slot s,
// innermost first.
func (w *walker) framesOf(s int32) []int32 {
	sp := w.spans[s]
	if sp.lo < 0 {
		sp = w.expand(w.locs[s], int(w.skip[s]))
		w.spans[s] = sp
	}
	return w.frames[sp.lo:sp.hi]
}

// expand appends the nodes of l's frames, but for its first skip lines, to
// w.frames: one per line, or one for a location without line information.
func (w *walker) expand(l *profile.Location, skip int) span {
	lo := int32(len(w.frames))
	lines := l.Line[skip:]
	if len(lines) == 0 {
		w.frames = append(w.frames, w.frameNode(l, nil))
	}
	for _, line := range lines {
		w.frames = append(w.frames, w.frameNode(l, line.Function))
	}
	return span{lo, int32(len(w.frames))}
}

// frameNode returns the node of the frame of l in function fn (nil when l
// has no lines).
func (w *walker) frameNode(l *profile.Location, fn *profile.Function) int32 {
	k := frameKey{fn, l.Mapping}
	id, ok := w.byFrame[k]
	if !ok {
		id = w.node(frameInfo(l, fn))
		w.byFrame[k] = id
	}
	return id
}

// node returns the node of info, adding it if new.
func (w *walker) node(info nodeInfo) int32 {
	if id, ok := w.byInfo[info]; ok {
		return id
	}
	id := int32(len(w.infos))
	name := info.printableName()
	w.infos = append(w.infos, info)
	w.names = append(w.names, name)
	w.user = append(w.user, funcname.IsUser(name))
	w.seen = append(w.seen, 0)
	w.byInfo[info] = id
	return id
}
