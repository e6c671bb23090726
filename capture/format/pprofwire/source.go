package pprofwire

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrWire is wrapped by errors about bytes that are not a well-formed pprof
// protocol buffer (see the package documentation).
var ErrWire = errors.New("malformed protocol buffer")

// ErrTooLarge is wrapped by the error for a profile larger than its cap
// once decompressed.
var ErrTooLarge = errors.New("larger than the cap after decompression")

var errNoData = errors.New("empty input file")

// source is the decoded bytes of a profile, read field by field at the top
// level of the Profile message: the bytes themselves when they are not
// gzipped, else a stream decompressing them.
type source struct {
	mem []byte        // not gzipped: what is left to read
	br  *bufio.Reader // gzipped: the decompressed stream
	buf []byte        // the kept field of the last next, when streaming
	any bool          // a byte was read
}

// open starts reading data, gzipped or not, capped at maxDecoded bytes
// once decompressed.
func open(data []byte, maxDecoded int64) (*source, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return &source{br: bufio.NewReaderSize(&capReader{r: zr, left: maxDecoded, max: maxDecoded}, 64<<10)}, nil
	}
	if int64(len(data)) > maxDecoded {
		return nil, fmt.Errorf("%d bytes: %w of %d bytes", len(data), ErrTooLarge, maxDecoded)
	}
	if len(data) == 0 {
		return nil, errNoData
	}
	return &source{mem: data}, nil
}

// capReader fails with ErrTooLarge once r gives more than max bytes.
type capReader struct {
	r         io.Reader
	left, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.tooLarge()
	}
	if c.left < int64(len(p))-1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, c.tooLarge()
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("decompress: %w", err)
	}
	return n, err
}

func (c *capReader) tooLarge() error {
	return fmt.Errorf("decompress: %w of %d bytes", ErrTooLarge, c.max)
}

// field is one field of a message: its number, wire type, and its value,
// an integer or (BytesType) bytes.
type field struct {
	num  uint64
	typ  protowire.Type
	u64  uint64
	data []byte
	size uint64 // a length-delimited field's length, kept or skipped
}

// next reads the next top-level field. A length-delimited field's bytes
// are read when keep says so and skipped otherwise; they are valid until
// the next call. At the end of the message, next returns io.EOF (and
// errNoData if there was nothing at all).
func (s *source) next(keep func(num uint64) bool) (field, error) {
	if s.br == nil {
		if len(s.mem) == 0 {
			if !s.any {
				return field{}, errNoData
			}
			return field{}, io.EOF
		}
		s.any = true
		f, rest, err := nextField(s.mem)
		s.mem = rest
		f.size = uint64(len(f.data))
		return f, err
	}
	tag, err := s.varint(true)
	if err != nil {
		return field{}, err
	}
	f := field{num: tag >> 3, typ: protowire.Type(tag & 7)}
	switch f.typ {
	case protowire.VarintType:
		f.u64, err = s.varint(false)
	case protowire.Fixed64Type:
		var b []byte
		if b, err = s.read(8); err == nil {
			f.u64, _ = protowire.ConsumeFixed64(b)
		}
	case protowire.Fixed32Type:
		var b []byte
		if b, err = s.read(4); err == nil {
			u, _ := protowire.ConsumeFixed32(b)
			f.u64 = uint64(u)
		}
	case protowire.BytesType:
		var n uint64
		if n, err = s.varint(false); err != nil {
			break
		}
		f.size = n
		if keep(f.num) {
			f.data, err = s.read(n)
		} else {
			err = s.skip(n)
		}
	default:
		err = fmt.Errorf("%w: unknown wire type %d", ErrWire, f.typ)
	}
	return f, err
}

// varint reads one varint from the stream; at a field's start (first) an
// end of the stream is the end of the message.
func (s *source) varint(first bool) (uint64, error) {
	var b [binaryMaxVarintLen]byte
	for i := range b {
		c, err := s.br.ReadByte()
		if err != nil {
			if err == io.EOF && i == 0 && first {
				if !s.any {
					return 0, errNoData
				}
				return 0, io.EOF
			}
			return 0, streamErr(err)
		}
		s.any = true
		b[i] = c
		if c < 0x80 {
			v, n := protowire.ConsumeVarint(b[:i+1])
			if n < 0 {
				return 0, fmt.Errorf("%w: %v", ErrWire, protowire.ParseError(n))
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: bad varint", ErrWire)
}

const binaryMaxVarintLen = 10

// read reads the next n bytes into s.buf, growing it as the bytes arrive
// so that a length beyond the end allocates no more than what is there.
func (s *source) read(n uint64) ([]byte, error) {
	s.buf = s.buf[:0]
	for uint64(len(s.buf)) < n {
		chunk := min(n-uint64(len(s.buf)), uint64(max(len(s.buf), 64<<10)))
		lo := len(s.buf)
		s.buf = append(s.buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(s.br, s.buf[lo:]); err != nil {
			return nil, streamErr(err)
		}
	}
	return s.buf, nil
}

// skip discards the next n bytes.
func (s *source) skip(n uint64) error {
	for n > 0 {
		k := int(min(n, 1<<30))
		if _, err := s.br.Discard(k); err != nil {
			return streamErr(err)
		}
		n -= uint64(k)
	}
	return nil
}

// streamErr is the error for a read that stopped short: the end of the
// stream inside a field is malformed input.
func streamErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: not enough data", ErrWire)
	}
	return err
}
