package format

import (
	"fmt"

	"github.com/google/pprof/profile"
)

// ParseProfile decodes a pprof profile, gzipped or not. Unlike
// profile.ParseData it never panics on malformed input: a panic inside the
// decoder is returned as an error, so a garbage answer from a target is
// that profile's failure, never the receiver's crash.
func ParseProfile(data []byte) (p *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("parse profile: malformed input: %v", r)
		}
	}()
	p, err = profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("parse profile: %w", err)
	}
	return p, nil
}
