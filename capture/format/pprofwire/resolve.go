package pprofwire

import (
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
)

// resolve turns string indexes into strings and IDs into pointers, as
// profile.ParseData does after decoding.
func (h *header) resolve() error {
	p := h.p
	r := resolver{strings: h.strings}
	mappings := make(map[uint64]*profile.Mapping, len(p.Mapping))
	for i, m := range p.Mapping {
		m.File = r.get(h.mappingStr[i][0])
		m.BuildID = r.get(h.mappingStr[i][1])
		mappings[m.ID] = m
		const prefix = "[kernel.kallsyms]"
		if strings.HasPrefix(m.File, prefix) {
			m.KernelRelocationSymbol = m.File[len(prefix):]
		}
	}
	functions := make(map[uint64]*profile.Function, len(p.Function))
	for i, fn := range p.Function {
		fn.Name = r.get(h.funcStr[i][0])
		fn.SystemName = r.get(h.funcStr[i][1])
		fn.Filename = r.get(h.funcStr[i][2])
		functions[fn.ID] = fn
	}
	lines := h.lineFuncs
	for i, l := range p.Location {
		l.Mapping = mappings[h.locMapping[i]]
		for j := range l.Line {
			if id := lines[0]; id != 0 {
				l.Line[j].Function = functions[id]
			}
			lines = lines[1:]
		}
	}
	for _, vt := range h.types {
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: r.get(vt[0]), Unit: r.get(vt[1])})
	}
	p.DropFrames = r.get(h.dropX)
	p.KeepFrames = r.get(h.keepX)
	p.PeriodType = &profile.ValueType{}
	if h.period != nil {
		p.PeriodType.Type, p.PeriodType.Unit = r.get(h.period[0]), r.get(h.period[1])
	} else {
		r.get(0)
		r.get(0)
	}
	for _, c := range h.commentX {
		p.Comments = append(p.Comments, r.get(c))
	}
	p.DefaultSampleType = r.get(h.defaultTypeX)
	p.DocURL = r.get(h.docURLX)
	return r.err
}

// resolver looks strings up by index, remembering the first index out of
// the table.
type resolver struct {
	strings []string
	err     error
}

func (r *resolver) get(i int64) string {
	if i < 0 || i >= int64(len(r.strings)) {
		if r.err == nil {
			r.err = fmt.Errorf("parsing profile: %w", errMalformed)
		}
		return ""
	}
	return r.strings[i]
}

// indexLocations makes the locations findable by ID: in a slice when the
// IDs are dense enough, else in a map.
func (p *Profile) indexLocations() {
	locs := p.Header.Location
	var maxID uint64
	for _, l := range locs {
		maxID = max(maxID, l.ID)
	}
	if maxID < uint64(4*len(locs)+1024) {
		p.locByID = make([]*profile.Location, maxID+1)
		for _, l := range locs {
			p.locByID[l.ID] = l
		}
		return
	}
	p.locMap = make(map[uint64]*profile.Location, len(locs))
	for _, l := range locs {
		p.locMap[l.ID] = l
	}
}

// location returns the location of ID id, or nil.
func (p *Profile) location(id uint64) *profile.Location {
	if p.locByID != nil {
		if id < uint64(len(p.locByID)) {
			return p.locByID[id]
		}
		return nil
	}
	return p.locMap[id]
}
