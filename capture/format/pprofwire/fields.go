package pprofwire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// errType is pprof's error for a known field of another wire type.
var errType = fmt.Errorf("%w: type mismatch", ErrWire)

// nextField consumes one field of a message held in memory. As in pprof's
// decoder, any field number is read (unknown ones are skipped by the
// callers), but groups are not.
func nextField(b []byte) (field, []byte, error) {
	tag, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return field{}, nil, wireErr(n)
	}
	b = b[n:]
	f := field{num: tag >> 3, typ: protowire.Type(tag & 7)}
	switch f.typ {
	case protowire.VarintType:
		f.u64, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		f.u64, n = protowire.ConsumeFixed64(b)
	case protowire.Fixed32Type:
		var u uint32
		u, n = protowire.ConsumeFixed32(b)
		f.u64 = uint64(u)
	case protowire.BytesType:
		f.data, n = protowire.ConsumeBytes(b)
	default:
		return field{}, nil, fmt.Errorf("%w: unknown wire type %d", ErrWire, f.typ)
	}
	if n < 0 {
		return field{}, nil, wireErr(n)
	}
	return f, b[n:], nil
}

func wireErr(n int) error { return fmt.Errorf("%w: %v", ErrWire, protowire.ParseError(n)) }

// eachField calls fn for every field of the message b.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// int64 is the field's value as an optional int64 or uint64 field.
func (f field) int64() (int64, error) {
	if f.typ != protowire.VarintType {
		return 0, errType
	}
	return int64(f.u64), nil
}

// message is the field's bytes as an embedded message.
func (f field) message() ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, errType
	}
	return f.data, nil
}

// appendInts appends the field's values, packed or not, to dst.
func (f field) appendInts(dst []int64) ([]int64, error) {
	if f.typ != protowire.BytesType {
		v, err := f.int64()
		return append(dst, v), err
	}
	for b := f.data; len(b) > 0; {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, wireErr(n)
		}
		dst = append(dst, int64(v))
		b = b[n:]
	}
	return dst, nil
}

// appendUints appends the field's values, packed or not, to dst.
func (f field) appendUints(dst []uint64) ([]uint64, error) {
	if f.typ != protowire.BytesType {
		v, err := f.int64()
		return append(dst, uint64(v)), err
	}
	for b := f.data; len(b) > 0; {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, wireErr(n)
		}
		dst = append(dst, v)
		b = b[n:]
	}
	return dst, nil
}

// errMalformed is pprof's error for a string index out of the table.
var errMalformed = errors.New("malformed profile format: string index out of range")
