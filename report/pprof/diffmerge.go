package pprof

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// diffMerge is profile.Merge of a profile and its base scaled by -1, as
// Diff computes it, but without materializing the merged samples: it
// builds the merged tables (mappings, functions and locations, keyed and
// numbered as Merge keys and numbers them) and, per distinct merged sample
// key, only a 128-bit hash of the key and the summed values. Its samples
// method then streams both profiles again and yields each merged sample
// once, at the place of its first occurrence, as Merge orders them.
type diffMerge struct {
	// p is the merged header, with the merged tables.
	p *profile.Profile
	// srcs are the current profile and the base, in Merge's order.
	srcs [2]*pprofwire.Profile
	// The merged tables by key, and each source's IDs mapped into them.
	mappings  map[mappingKey]*profile.Mapping
	functions map[functionKey]*profile.Function
	locations map[locationKey]*profile.Location
	mapByID   map[uint64]mapInfo
	fnByID    map[uint64]*profile.Function
	locByID   [2]map[uint64]*profile.Location
	// keys indexes the merged samples by the hash of their key; vals holds
	// their summed values, n per sample.
	keys   map[[2]uint64]int32
	vals   []int64
	n      int
	seeds  [2]maphash.Seed
	buf    []byte
	locs   []*profile.Location
	scaled []int64
}

// mapInfo is a source mapping's merged mapping and the address offset
// between them.
type mapInfo struct {
	m      *profile.Mapping
	offset int64
}

// The keys Merge identifies mappings, functions and locations by.
type mappingKey struct {
	size, offset  uint64
	buildIDOrFile string
}

type functionKey struct {
	startLine                  int64
	name, systemName, fileName string
}

type locationKey struct {
	addr, mappingID uint64
	lines           string
	isFolded        bool
}

// newDiffMerge reads the samples of cur and base once, merging their keys.
// header is Merge's combination of the two headers.
func newDiffMerge(header *profile.Profile, cur, base *pprofwire.Profile) (*diffMerge, error) {
	m := &diffMerge{
		p:         header,
		srcs:      [2]*pprofwire.Profile{cur, base},
		mappings:  make(map[mappingKey]*profile.Mapping),
		functions: make(map[functionKey]*profile.Function),
		locations: make(map[locationKey]*profile.Location),
		keys:      make(map[[2]uint64]int32),
		n:         len(header.SampleType),
		seeds:     [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		scaled:    make([]int64, len(header.SampleType)),
	}
	header.Mapping, header.Function, header.Location = nil, nil, nil
	for i, src := range m.srcs {
		m.mapByID = make(map[uint64]mapInfo)
		m.fnByID = make(map[uint64]*profile.Function)
		m.locByID[i] = make(map[uint64]*profile.Location)
		if len(m.mappings) == 0 && len(src.Header.Mapping) > 0 {
			m.mapMapping(src.Header.Mapping[0])
		}
		err := src.EachSample(func(s *profile.Sample) error {
			vals, ok := m.values(i, s)
			if !ok {
				return nil
			}
			h := m.key(i, s, true)
			k, found := m.keys[h]
			if !found {
				k = int32(len(m.keys))
				m.keys[h] = k
				m.vals = append(m.vals, make([]int64, m.n)...)
			}
			sum := m.vals[int(k)*m.n : int(k)*m.n+m.n]
			for j, v := range vals {
				sum[j] += v
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	m.mapByID, m.fnByID = nil, nil
	return m, nil
}

// values returns the values of sample s of source i, the base's scaled by
// -1 as Profile.Scale scales them, and false when they are all zero (Scale
// and Merge drop such samples).
func (m *diffMerge) values(i int, s *profile.Sample) ([]int64, bool) {
	vals := s.Value
	if i == 1 {
		vals = m.scaled[:len(s.Value)]
		for j, v := range s.Value {
			vals[j] = int64(math.Round(float64(v) * -1))
		}
	}
	return vals, slices.ContainsFunc(vals, func(v int64) bool { return v != 0 })
}

// key maps s's locations (of source i) into m.locs, adding them to the
// merged tables when add is set, and returns the hash of Merge's sample
// key of s.
func (m *diffMerge) key(i int, s *profile.Sample, add bool) [2]uint64 {
	b := m.buf[:0]
	m.locs = m.locs[:0]
	for _, l := range s.Location {
		ml := m.locByID[i][l.ID]
		if ml == nil && add {
			ml = m.mapLocation(i, l)
		}
		m.locs = append(m.locs, ml)
		if ml != nil {
			b = binary.AppendUvarint(b, ml.ID)
		}
	}
	b = binary.AppendUvarint(b, 0)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, k := range sortedKeys(s.Label) {
		str(k)
		b = binary.AppendUvarint(b, uint64(len(s.Label[k])))
		for _, v := range s.Label[k] {
			str(v)
		}
	}
	for _, k := range sortedKeys(s.NumLabel) {
		str(k)
		b = binary.AppendUvarint(b, uint64(len(s.NumLabel[k])))
		for _, v := range s.NumLabel[k] {
			b = binary.AppendUvarint(b, uint64(v))
		}
		b = binary.AppendUvarint(b, uint64(len(s.NumUnit[k])))
		for _, u := range s.NumUnit[k] {
			str(u)
		}
	}
	m.buf = b
	return [2]uint64{maphash.Bytes(m.seeds[0], b), maphash.Bytes(m.seeds[1], b)}
}

func sortedKeys[V any](labels map[string]V) []string {
	if len(labels) == 0 {
		return nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// samples yields the merged samples, each once, in Merge's order, leaving
// out those whose summed values are all zero as Merge does. The sample it
// yields is reused once fn returns.
func (m *diffMerge) samples(fn func(s *profile.Sample) error) error {
	emitted := make([]bool, len(m.keys))
	out := &profile.Sample{}
	for i, src := range m.srcs {
		err := src.EachSample(func(s *profile.Sample) error {
			if _, ok := m.values(i, s); !ok {
				return nil
			}
			k, ok := m.keys[m.key(i, s, false)]
			if !ok || emitted[k] {
				return nil
			}
			emitted[k] = true
			sum := m.vals[int(k)*m.n : int(k)*m.n+m.n]
			if !slices.ContainsFunc(sum, func(v int64) bool { return v != 0 }) {
				return nil
			}
			out.Location, out.Value = m.locs, sum
			out.Label, out.NumLabel, out.NumUnit = s.Label, s.NumLabel, s.NumUnit
			return fn(out)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mapLocation is Merge's mapLocation of l, of source i.
func (m *diffMerge) mapLocation(i int, l *profile.Location) *profile.Location {
	mi := m.mapMapping(l.Mapping)
	nl := &profile.Location{
		ID:       uint64(len(m.p.Location) + 1),
		Mapping:  mi.m,
		Address:  uint64(int64(l.Address) + mi.offset),
		Line:     make([]profile.Line, len(l.Line)),
		IsFolded: l.IsFolded,
	}
	for j, ln := range l.Line {
		nl.Line[j] = profile.Line{Function: m.mapFunction(ln.Function), Line: ln.Line, Column: ln.Column}
	}
	k := locKey(nl)
	if ml, ok := m.locations[k]; ok {
		m.locByID[i][l.ID] = ml
		return ml
	}
	m.locByID[i][l.ID] = nl
	m.locations[k] = nl
	m.p.Location = append(m.p.Location, nl)
	return nl
}

// locKey is Merge's key of a merged location.
func locKey(l *profile.Location) locationKey {
	k := locationKey{addr: l.Address, isFolded: l.IsFolded}
	if l.Mapping != nil {
		k.addr -= l.Mapping.Start
		k.mappingID = l.Mapping.ID
	}
	lines := make([]string, len(l.Line)*3)
	for i, line := range l.Line {
		if line.Function != nil {
			lines[i*3] = strconv.FormatUint(line.Function.ID, 16)
		}
		lines[i*3+1] = strconv.FormatInt(line.Line, 16)
		lines[i*3+2] = strconv.FormatInt(line.Column, 16)
	}
	k.lines = strings.Join(lines, "|")
	return k
}

// mapMapping is Merge's mapMapping of src.
func (m *diffMerge) mapMapping(src *profile.Mapping) mapInfo {
	if src == nil {
		return mapInfo{}
	}
	if mi, ok := m.mapByID[src.ID]; ok {
		return mi
	}
	const rounding = 0x1000
	size := src.Limit - src.Start
	size = size + rounding - 1
	size -= size % rounding
	k := mappingKey{size: size, offset: src.Offset, buildIDOrFile: src.BuildID}
	if k.buildIDOrFile == "" {
		k.buildIDOrFile = src.File
	}
	if mm, ok := m.mappings[k]; ok {
		mi := mapInfo{mm, int64(mm.Start) - int64(src.Start)}
		m.mapByID[src.ID] = mi
		return mi
	}
	mm := &profile.Mapping{
		ID:                     uint64(len(m.p.Mapping) + 1),
		Start:                  src.Start,
		Limit:                  src.Limit,
		Offset:                 src.Offset,
		File:                   src.File,
		KernelRelocationSymbol: src.KernelRelocationSymbol,
		BuildID:                src.BuildID,
		HasFunctions:           src.HasFunctions,
		HasFilenames:           src.HasFilenames,
		HasLineNumbers:         src.HasLineNumbers,
		HasInlineFrames:        src.HasInlineFrames,
	}
	m.p.Mapping = append(m.p.Mapping, mm)
	m.mappings[k] = mm
	mi := mapInfo{mm, 0}
	m.mapByID[src.ID] = mi
	return mi
}

// mapFunction is Merge's mapFunction of src.
func (m *diffMerge) mapFunction(src *profile.Function) *profile.Function {
	if src == nil {
		return nil
	}
	if f, ok := m.fnByID[src.ID]; ok {
		return f
	}
	k := functionKey{src.StartLine, src.Name, src.SystemName, src.Filename}
	if f, ok := m.functions[k]; ok {
		m.fnByID[src.ID] = f
		return f
	}
	f := &profile.Function{
		ID:         uint64(len(m.p.Function) + 1),
		Name:       src.Name,
		SystemName: src.SystemName,
		Filename:   src.Filename,
		StartLine:  src.StartLine,
	}
	m.functions[k] = f
	m.fnByID[src.ID] = f
	m.p.Function = append(m.p.Function, f)
	return f
}
