package capture

import (
	"context"
	"errors"
	"io"
)

// firstChunk is the buffer a body starts in; most profiles fit.
const firstChunk = 64 << 10

// readBody reads r up to max bytes; cut says the body had more. The buffer grows by doubling, and
// each growth is reserved from b before it is made, so the bodies in
// flight together stay within the budget; a body that would need more
// than the whole budget ends with an *OverBudgetError. release gives the
// buffer's reservation back; it is valid (and must be called) also when
// err is set.
func readBody(ctx context.Context, r io.Reader, max int64, b *Budget) (data []byte, cut bool, release func(), err error) {
	var releases []func()
	release = func() {
		for _, r := range releases {
			r()
		}
	}
	// While a buffer is copied into the next, both are live: the next is
	// reserved in full before the old one's share is given back.
	grow := func(buf []byte, size int64) ([]byte, error) {
		if need := size + int64(cap(buf)); b != nil && need > b.Size() {
			// Both buffers could never be held at once: waiting for
			// the next while holding this one would wait forever.
			return buf, &OverBudgetError{Need: need, Size: b.Size()}
		}
		more, err := b.Reserve(ctx, size)
		if err != nil {
			return buf, err
		}
		grown := make([]byte, len(buf), size)
		copy(grown, buf)
		release()
		releases = []func(){more}
		return grown, nil
	}
	buf, err := grow(nil, min(int64(firstChunk), max))
	if err != nil {
		return nil, false, release, err
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= max {
				// At the cap: one byte more says the body is too large.
				var one [1]byte
				n, err := io.ReadFull(r, one[:])
				if n == 0 && errors.Is(err, io.EOF) {
					return buf, false, release, nil
				}
				return buf, n > 0, release, err
			}
			if buf, err = grow(buf, min(2*int64(cap(buf)), max)); err != nil {
				return buf, false, release, err
			}
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, false, release, nil
		}
		if err != nil {
			return buf, false, release, err
		}
	}
}
