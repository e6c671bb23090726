package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// ErrTooManyLines is returned (wrapped) when a text artifact has more
// lines than its cap.
var ErrTooManyLines = errors.New("more lines than the cap")

// DecodedSize is how many bytes data holds once decompressed: len(data)
// when it is not gzipped. It inflates into nothing, so it costs time but
// no memory; past maxDecoded it stops with an error wrapping ErrTooLarge.
func DecodedSize(data []byte, maxDecoded int64) (int64, error) {
	if !bytes.HasPrefix(data, gzipMagic) {
		if n := int64(len(data)); n > maxDecoded {
			return n, fmt.Errorf("%d bytes: %w of %d bytes", n, ErrTooLarge, maxDecoded)
		}
		return int64(len(data)), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("decompress: %w", err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return n, fmt.Errorf("decompress: %w", err)
	}
	if n > maxDecoded {
		return n, fmt.Errorf("decompress: %w of %d bytes", ErrTooLarge, maxDecoded)
	}
	return n, nil
}

// TextLimits bound what is read of a text artifact (a goroutine dump, a
// heap profile in text) after decompression.
type TextLimits struct {
	// MaxBytes caps the decompressed bytes; <=0 means DefaultMaxText.
	MaxBytes int64
	// MaxLines caps the lines; <=0 means DefaultMaxLines.
	MaxLines int64
}

// Defaults of TextLimits: a goroutine dump of 100,000 goroutines is
// about 2 million lines and 100 MB.
const (
	DefaultMaxText  = 64 << 20
	DefaultMaxLines = 2_000_000
)

func (l TextLimits) orDefaults() TextLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxText
	}
	if l.MaxLines <= 0 {
		l.MaxLines = DefaultMaxLines
	}
	return l
}

// TextReaderMax is TextReader held to lim: reading past either cap fails
// with an error wrapping ErrTooLarge or ErrTooManyLines, so a reader of
// the text stops there and reports it.
func TextReaderMax(data []byte, lim TextLimits) (io.Reader, error) {
	r, err := TextReader(data)
	if err != nil {
		return nil, err
	}
	lim = lim.orDefaults()
	return &limitedText{r: bufio.NewReaderSize(r, 32<<10), lim: lim}, nil
}

// limitedText counts the bytes and lines read through it.
type limitedText struct {
	r            io.Reader
	lim          TextLimits
	bytes, lines int64
	err          error
}

func (t *limitedText) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if room := t.lim.MaxBytes + 1 - t.bytes; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := t.r.Read(p)
	t.bytes += int64(n)
	t.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	switch {
	case t.bytes > t.lim.MaxBytes:
		t.err = fmt.Errorf("text: %w of %d bytes", ErrTooLarge, t.lim.MaxBytes)
	case t.lines > t.lim.MaxLines:
		t.err = fmt.Errorf("text: %w of %d lines", ErrTooManyLines, t.lim.MaxLines)
	default:
		return n, err
	}
	return 0, t.err
}
