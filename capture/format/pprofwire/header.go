package pprofwire

import (
	"fmt"
	"io"

	"github.com/google/pprof/profile"
)

// Field numbers of the Profile message.
const (
	fieldSampleType        = 1
	fieldSample            = 2
	fieldMapping           = 3
	fieldLocation          = 4
	fieldFunction          = 5
	fieldStringTable       = 6
	fieldDropFrames        = 7
	fieldKeepFrames        = 8
	fieldTimeNanos         = 9
	fieldDurationNanos     = 10
	fieldPeriodType        = 11
	fieldPeriod            = 12
	fieldComment           = 13
	fieldDefaultSampleType = 14
	fieldDocURL            = 15
)

// Profile is a pprof profile read from its encoded bytes: the header and
// tables, and the means to stream its samples (see EachSample).
type Profile struct {
	// Header is the profile without its samples: sample and period types,
	// times, comments, frames to drop and keep, mappings, locations and
	// functions, as profile.ParseData gives them.
	Header *profile.Profile
	// Samples is the number of samples.
	Samples int
	// NumLabels makes EachSample set the samples' numeric labels too.
	NumLabels bool

	data    []byte
	max     int64
	strings []string
	locByID []*profile.Location
	locMap  map[uint64]*profile.Location
}

// header is what the first pass gathers before string indexes and IDs are
// resolved.
type header struct {
	p                                   *profile.Profile
	strings                             []string
	types                               [][2]int64 // sample types' type and unit
	period                              *[2]int64
	mappingStr                          [][2]int64 // file, build ID
	funcStr                             [][3]int64 // name, system name, file name
	locMapping                          []uint64
	lineFuncs                           []uint64 // function IDs of every line, in order
	dropX, keepX, defaultTypeX, docURLX int64
	commentX                            []int64
}

// Read decodes the header and tables of a pprof profile, gzipped or not,
// of at most maxDecoded bytes once decompressed; it reads through the
// samples only to check their framing and count them.
func Read(data []byte, maxDecoded int64) (*Profile, error) {
	src, err := open(data, maxDecoded)
	if err != nil {
		return nil, err
	}
	h := &header{p: &profile.Profile{}}
	samples := 0
	keep := func(num uint64) bool { return num >= fieldSampleType && num <= fieldDocURL && num != fieldSample }
	for {
		f, err := src.next(keep)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if f.num == fieldSample {
			if _, err := f.message(); err != nil {
				return nil, err
			}
			samples++
			continue
		}
		if err := h.field(f); err != nil {
			return nil, err
		}
	}
	p := &Profile{Header: h.p, Samples: samples, data: data, max: maxDecoded, strings: h.strings}
	if err := h.resolve(); err != nil {
		return nil, err
	}
	if err := h.p.CheckValid(); err != nil {
		return nil, fmt.Errorf("malformed profile: %w", err)
	}
	p.indexLocations()
	return p, nil
}

// field decodes one top-level field other than a sample.
func (h *header) field(f field) error {
	p := h.p
	var err error
	switch f.num {
	case fieldSampleType:
		var vt [2]int64
		err = decodeValueType(f, &vt)
		h.types = append(h.types, vt)
	case fieldMapping:
		err = h.mapping(f)
	case fieldLocation:
		err = h.location(f)
	case fieldFunction:
		err = h.function(f)
	case fieldStringTable:
		if f.typ != 2 {
			return errType
		}
		h.strings = append(h.strings, string(f.data))
		if h.strings[0] != "" {
			return fmt.Errorf("%w: string_table[0] must be ''", ErrWire)
		}
	case fieldDropFrames:
		h.dropX, err = f.int64()
	case fieldKeepFrames:
		h.keepX, err = f.int64()
	case fieldTimeNanos:
		if p.TimeNanos != 0 {
			return fmt.Errorf("%w: concatenated profiles detected", ErrWire)
		}
		p.TimeNanos, err = f.int64()
	case fieldDurationNanos:
		p.DurationNanos, err = f.int64()
	case fieldPeriodType:
		h.period = new([2]int64)
		err = decodeValueType(f, h.period)
	case fieldPeriod:
		p.Period, err = f.int64()
	case fieldComment:
		h.commentX, err = f.appendInts(h.commentX)
	case fieldDefaultSampleType:
		h.defaultTypeX, err = f.int64()
	case fieldDocURL:
		h.docURLX, err = f.int64()
	}
	return err
}

func decodeValueType(f field, vt *[2]int64) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	return eachField(b, func(f field) error {
		var err error
		if f.num == 1 || f.num == 2 {
			vt[f.num-1], err = f.int64()
		}
		return err
	})
}

func (h *header) mapping(f field) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	m := &profile.Mapping{}
	var str [2]int64
	err = eachField(b, func(f field) error {
		var err error
		var v int64
		if f.num >= 1 && f.num <= 10 {
			v, err = f.int64()
		}
		switch f.num {
		case 1:
			m.ID = uint64(v)
		case 2:
			m.Start = uint64(v)
		case 3:
			m.Limit = uint64(v)
		case 4:
			m.Offset = uint64(v)
		case 5:
			str[0] = v
		case 6:
			str[1] = v
		case 7:
			m.HasFunctions = v != 0
		case 8:
			m.HasFilenames = v != 0
		case 9:
			m.HasLineNumbers = v != 0
		case 10:
			m.HasInlineFrames = v != 0
		}
		return err
	})
	h.p.Mapping = append(h.p.Mapping, m)
	h.mappingStr = append(h.mappingStr, str)
	return err
}

func (h *header) location(f field) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	l := &profile.Location{}
	var mapping uint64
	err = eachField(b, func(f field) error {
		var err error
		var v int64
		switch f.num {
		case 1, 2, 3, 5:
			if v, err = f.int64(); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			l.ID = uint64(v)
		case 2:
			mapping = uint64(v)
		case 3:
			l.Address = uint64(v)
		case 5:
			l.IsFolded = v != 0
		case 4:
			return h.line(f, l)
		}
		return nil
	})
	l.Line = l.Line[:len(l.Line):len(l.Line)]
	h.p.Location = append(h.p.Location, l)
	h.locMapping = append(h.locMapping, mapping)
	return err
}

func (h *header) line(f field, l *profile.Location) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	var ln profile.Line
	var fn uint64
	err = eachField(b, func(f field) error {
		var err error
		var v int64
		if f.num >= 1 && f.num <= 3 {
			v, err = f.int64()
		}
		switch f.num {
		case 1:
			fn = uint64(v)
		case 2:
			ln.Line = v
		case 3:
			ln.Column = v
		}
		return err
	})
	l.Line = append(l.Line, ln)
	h.lineFuncs = append(h.lineFuncs, fn)
	return err
}

func (h *header) function(f field) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	fn := &profile.Function{}
	var str [3]int64
	err = eachField(b, func(f field) error {
		var err error
		var v int64
		if f.num >= 1 && f.num <= 5 {
			v, err = f.int64()
		}
		switch f.num {
		case 1:
			fn.ID = uint64(v)
		case 2, 3, 4:
			str[f.num-2] = v
		case 5:
			fn.StartLine = v
		}
		return err
	})
	h.p.Function = append(h.p.Function, fn)
	h.funcStr = append(h.funcStr, str)
	return err
}
