package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// sniffLen is how much of an artifact's start Detect and Check look at.
const sniffLen = 256

var (
	goroutinePrefix = []byte("goroutine ")
	heapTextPrefix  = []byte("heap profile: ")
	traceMagic      = []byte("go 1.")
	gzipMagic       = []byte{0x1f, 0x8b}
)

// Detect says what data is by its first bytes. A goroutine dump, a heap
// profile in text or an execution trace is recognised by its header, also
// when gzipped; anything else that is gzipped, or binary, is taken for a
// pprof profile (only parsing tells for sure: see ParseProfile). Text that
// is none of the above, and HTML, are Unknown.
func Detect(data []byte) Format {
	head := data[:min(len(data), sniffLen)]
	if bytes.HasPrefix(head, gzipMagic) {
		if f := detectText(gunzipHead(data)); f != Unknown {
			return f
		}
		return Profile
	}
	if f := detectText(head); f != Unknown {
		return f
	}
	if looksLikeTrace(head) {
		return Trace
	}
	if len(head) > 0 && !isText(head) {
		return Profile
	}
	return Unknown
}

func detectText(head []byte) Format {
	start := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(start, goroutinePrefix):
		return Goroutines
	case bytes.HasPrefix(start, heapTextPrefix):
		return HeapText
	}
	return Unknown
}

// gunzipHead returns the first sniffLen bytes of gzipped data, or nil.
func gunzipHead(data []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(zr, head)
	return head[:n]
}

// isText reports whether b is printable text (UTF-8 without control
// characters other than white space).
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// looksLikeTrace checks the header of a Go execution trace:
// "go 1.NN trace\x00\x00\x00".
func looksLikeTrace(b []byte) bool {
	rest, ok := bytes.CutPrefix(b, traceMagic)
	if !ok {
		return false
	}
	rest = rest[:min(len(rest), 11)]
	i := bytes.IndexByte(rest, ' ')
	return i > 0 && bytes.HasPrefix(rest[i:], []byte(" trace\x00"))
}

// LooksLikeHTML reports whether data starts like an HTML page: what a
// dashboard, a login page or a proxy's error answers in place of a profile.
func LooksLikeHTML(data []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(data[:min(len(data), sniffLen)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") || strings.Contains(s, "<body")
}

// ErrHTML is returned by Check for an HTML page.
var ErrHTML = errors.New("the target sent an HTML page, not a profile (is this a pprof endpoint?)")

// MismatchError is returned by Check when data is not the format wanted.
type MismatchError struct {
	Want Format
}

func (e *MismatchError) Error() string {
	switch e.Want {
	case Trace:
		return `the body is not a Go execution trace (no "go 1.N trace" header)`
	case Profile:
		return "the body is not a valid profile"
	}
	return "the body is not " + e.Want.What()
}

// Check tells whether data can be an artifact of format want, by its first
// bytes: an HTML page is ErrHTML, text or a trace header where a profile
// was wanted (or the reverse) is a *MismatchError. A pprof profile passes
// Check when it is binary; ParseProfile then says whether it decodes.
func Check(want Format, data []byte) error {
	if LooksLikeHTML(data) {
		return ErrHTML
	}
	got := Detect(data)
	// A text artifact is stored as fetched: gzipped text is not what an
	// endpoint asked for debug text answers, so only plain text counts.
	if want.Text() {
		got = detectText(data[:min(len(data), sniffLen)])
	}
	if got != want {
		return &MismatchError{Want: want}
	}
	return nil
}

// TextReader returns a reader of a text artifact's content, gunzipping it
// when it is gzipped (a dump saved with `curl | gzip`).
func TextReader(data []byte) (io.Reader, error) {
	if !bytes.HasPrefix(data, gzipMagic) {
		return bytes.NewReader(data), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return zr, nil
}
