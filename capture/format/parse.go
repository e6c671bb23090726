package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// DefaultMaxDecoded caps a profile's size after decompression when no
// other cap is given: a few megabytes of gzip can inflate to gigabytes.
const DefaultMaxDecoded = 256 << 20

// ErrTooLarge is returned (wrapped) when an artifact decompresses to more
// than its cap.
var ErrTooLarge = pprofwire.ErrTooLarge

// ErrNestedGzip is returned (wrapped) for gzip inside gzip: no profile is
// written that way, and the inner layer would escape the cap.
var ErrNestedGzip = errors.New("gzip inside gzip is not a profile")

// ParseProfile decodes a pprof profile, gzipped or not, of at most
// DefaultMaxDecoded bytes once decompressed. See ParseProfileMax.
func ParseProfile(data []byte) (*profile.Profile, error) {
	return ParseProfileMax(data, DefaultMaxDecoded)
}

// ParseProfileMax decodes a pprof profile, gzipped or not. A gzipped
// profile is inflated only up to maxDecoded bytes: past that the error
// wraps ErrTooLarge and nothing more is read. Unlike profile.ParseData it
// never panics on malformed input: a panic inside the decoder is returned
// as an error, so a garbage answer from a target is that profile's
// failure, never the receiver's crash.
func ParseProfileMax(data []byte, maxDecoded int64) (p *profile.Profile, err error) {
	if bytes.HasPrefix(data, gzipMagic) {
		if data, err = gunzipMax(data, maxDecoded); err != nil {
			return nil, fmt.Errorf("parse profile: %w", err)
		}
		// profile.ParseData would inflate a second layer without a cap. A
		// protocol buffer never starts with these bytes (field 3, wire
		// type 7 does not exist), nor does a legacy text profile.
		if bytes.HasPrefix(data, gzipMagic) {
			return nil, fmt.Errorf("parse profile: %w", ErrNestedGzip)
		}
	} else if int64(len(data)) > maxDecoded {
		return nil, fmt.Errorf("parse profile: %d bytes: %w of %d bytes", len(data), ErrTooLarge, maxDecoded)
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("parse profile: malformed input: %v", r)
		}
	}()
	// Not gzipped any more: ParseData goes straight to the protobuf (and
	// legacy text) decoders and validates the result.
	p, err = profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("parse profile: %w", err)
	}
	return p, nil
}

// gunzipMax inflates gzipped data, failing with ErrTooLarge as soon as
// the output passes maxDecoded bytes.
func gunzipMax(data []byte, maxDecoded int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	// Profiles compress about 3 to 10 times; start near that.
	var out bytes.Buffer
	out.Grow(int(min(int64(len(data))*4, maxDecoded)))
	n, err := io.Copy(&out, io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if n > maxDecoded {
		return nil, fmt.Errorf("decompress: %w of %d bytes", ErrTooLarge, maxDecoded)
	}
	return out.Bytes(), nil
}

// CheckProfile reads a whole pprof profile, gzipped or not, of at most
// maxDecoded bytes once decompressed, and fails where ParseProfileMax
// fails, but without building the profile: its samples are decoded one at
// a time and dropped (see pprofwire), so a large profile costs the memory
// of its tables only. It returns the profile's header: sample and period
// types, default sample type, times and comments, without samples,
// mappings, locations or functions. Like ParseProfileMax it never panics.
func CheckProfile(data []byte, maxDecoded int64) (h *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("parse profile: malformed input: %v", r)
		}
	}()
	p, err := pprofwire.Check(data, maxDecoded)
	if errors.Is(err, pprofwire.ErrWire) {
		// pprof's own decoder has the last word on bytes the wire reader
		// rejects (a legacy text profile, say).
		p, err = ParseProfileMax(data, maxDecoded)
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("parse profile: %w", err)
	}
	return &profile.Profile{
		SampleType:        p.SampleType,
		DefaultSampleType: p.DefaultSampleType,
		PeriodType:        p.PeriodType,
		Period:            p.Period,
		TimeNanos:         p.TimeNanos,
		DurationNanos:     p.DurationNanos,
		Comments:          p.Comments,
		DropFrames:        p.DropFrames,
		KeepFrames:        p.KeepFrames,
		DocURL:            p.DocURL,
	}, nil
}
