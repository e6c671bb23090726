package pprofwire

import (
	"errors"
	"fmt"
	"io"

	"github.com/google/pprof/profile"
)

// EachSample decompresses the profile again and calls fn with each of its
// samples, in order, until fn returns an error, which EachSample returns.
// The sample's Location (resolved against Header's locations), Value and
// Label are set; NumLabel and NumUnit are set only when p.NumLabels is.
// The sample and its slices and maps are reused: they are valid only
// during the call.
//
// A sample that profile.ParseData would reject (a value per sample type, a
// known location, string indexes in the table) stops the walk with an
// error.
func (p *Profile) EachSample(fn func(s *profile.Sample) error) error {
	src, err := open(p.data, p.max)
	if err != nil {
		return err
	}
	keep := func(num uint64) bool { return num == fieldSample }
	d := sampleDecoder{p: p, s: &profile.Sample{}}
	for {
		f, err := src.next(keep)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if f.num != fieldSample {
			continue
		}
		b, err := f.message()
		if err != nil {
			return err
		}
		if err := d.decode(b); err != nil {
			return err
		}
		if err := fn(d.s); err != nil {
			return err
		}
	}
}

// Check reads a whole pprof profile, gzipped or not, of at most maxDecoded
// bytes once decompressed, without keeping its samples, and returns its
// header (see Profile.Header) if profile.ParseData would accept it as a
// protocol buffer profile.
func Check(data []byte, maxDecoded int64) (*profile.Profile, error) {
	p, err := Read(data, maxDecoded)
	if err != nil {
		return nil, err
	}
	if err := p.EachSample(func(*profile.Sample) error { return nil }); err != nil {
		return nil, err
	}
	return p.Header, nil
}

// sampleDecoder decodes samples into one reused profile.Sample.
type sampleDecoder struct {
	p      *Profile
	s      *profile.Sample
	ids    []uint64
	labels []labelIdx
}

// labelIdx is a label's string indexes and number.
type labelIdx struct{ key, str, num, unit int64 }

var (
	errNoTypes     = errors.New("malformed profile: missing sample type information")
	errNilLocation = errors.New("malformed profile: sample has nil location")
)

func (d *sampleDecoder) decode(b []byte) error {
	s := d.s
	d.ids, s.Value, d.labels = d.ids[:0], s.Value[:0], d.labels[:0]
	err := eachField(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			d.ids, err = f.appendUints(d.ids)
		case 2:
			s.Value, err = f.appendInts(s.Value)
		case 3:
			err = d.label(f)
		}
		return err
	})
	if err != nil {
		return err
	}
	types := len(d.p.Header.SampleType)
	if types == 0 {
		return errNoTypes
	}
	if len(s.Value) != types {
		return fmt.Errorf("malformed profile: mismatch: sample has %d values vs. %d types", len(s.Value), types)
	}
	s.Location = s.Location[:0]
	for _, id := range d.ids {
		l := d.p.location(id)
		if l == nil {
			return errNilLocation
		}
		s.Location = append(s.Location, l)
	}
	return d.resolveLabels()
}

func (d *sampleDecoder) label(f field) error {
	b, err := f.message()
	if err != nil {
		return err
	}
	var l labelIdx
	err = eachField(b, func(f field) error {
		var err error
		var v int64
		if f.num >= 1 && f.num <= 4 {
			v, err = f.int64()
		}
		switch f.num {
		case 1:
			l.key = v
		case 2:
			l.str = v
		case 3:
			l.num = v
		case 4:
			l.unit = v
		}
		return err
	})
	d.labels = append(d.labels, l)
	return err
}

// resolveLabels fills the sample's string labels and checks the string
// indexes of all its labels, as profile.ParseData does.
func (d *sampleDecoder) resolveLabels() error {
	s := d.s
	clear(s.Label)
	clear(s.NumLabel)
	clear(s.NumUnit)
	if len(d.labels) == 0 {
		return nil
	}
	r := resolver{strings: d.p.strings}
	for _, l := range d.labels {
		key := r.get(l.key)
		switch {
		case l.str != 0:
			if s.Label == nil {
				s.Label = make(map[string][]string)
			}
			s.Label[key] = append(s.Label[key], r.get(l.str))
		case d.p.NumLabels && (l.num != 0 || l.unit != 0):
			d.numLabel(key, l, &r)
		case l.unit != 0:
			r.get(l.unit)
		}
	}
	if d.p.NumLabels {
		for key, units := range s.NumUnit {
			s.NumUnit[key] = padUnits(units, len(s.NumLabel[key]))
		}
	}
	return r.err
}

// numLabel adds the numeric label l of key to the sample, as
// profile.ParseData does: a unit is recorded only when the label has one,
// after padding the key's units with empty ones to its values so far.
func (d *sampleDecoder) numLabel(key string, l labelIdx, r *resolver) {
	s := d.s
	if s.NumLabel == nil {
		s.NumLabel, s.NumUnit = make(map[string][]int64), make(map[string][]string)
	}
	if l.unit != 0 {
		s.NumUnit[key] = append(padUnits(s.NumUnit[key], len(s.NumLabel[key])), r.get(l.unit))
	}
	s.NumLabel[key] = append(s.NumLabel[key], l.num)
}

// padUnits pads units with empty units to n of them.
func padUnits(units []string, n int) []string {
	for len(units) < n {
		units = append(units, "")
	}
	return units
}
