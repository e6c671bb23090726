package capture

import (
	"context"
	"errors"
	"io"
)

// firstChunk is the buffer a body starts in; most profiles fit.
const firstChunk = 64 << 10

// readBody reads r up to max+1 bytes (one more than the cap, so the
// caller can tell a body that is too large). The buffer grows by doubling,
// and each buffer is reserved from b before it is made, so the bodies in
// flight together stay within the budget; a body that would need more
// than the whole budget ends with an *OverBudgetError. release gives the
// buffer's reservation back; it is valid (and must be called) also when
// err is set.
func readBody(ctx context.Context, r io.Reader, max int64, b *Budget) (data []byte, release func(), err error) {
	size := min(int64(firstChunk), max+1)
	release, err = b.Reserve(ctx, size)
	if err != nil {
		return nil, func() {}, err
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > max {
				return buf, release, nil
			}
			next := min(2*int64(cap(buf)), max+1)
			more, err := b.Reserve(ctx, next)
			if err != nil {
				return buf, release, err
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			release()
			buf, release = grown, more
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, release, nil
		}
		if err != nil {
			return buf, release, err
		}
	}
}
