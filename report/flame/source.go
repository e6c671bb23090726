package flame

import (
	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// Source is a profile as Render reads it: its header (sample types,
// locations, functions) and a walk over its samples, which may pass the
// same sample, changed, to every call.
type Source struct {
	Header *profile.Profile
	Each   func(fn func(s *profile.Sample) error) error
}

// Parsed is the source of a profile decoded whole.
func Parsed(p *profile.Profile) Source {
	return Source{Header: p, Each: func(fn func(*profile.Sample) error) error {
		for _, s := range p.Sample {
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	}}
}

// Stream is the source of an encoded profile (gzipped or not, at most
// maxDecoded bytes once decompressed), read as a stream: its tables are
// decoded, its samples one at a time while drawing, so the memory follows
// the tables and the graph, not the number of samples.
func Stream(data []byte, maxDecoded int64) (Source, error) {
	p, err := pprofwire.Read(data, maxDecoded)
	if err != nil {
		return Source{}, err
	}
	return Source{Header: p.Header, Each: p.EachSample}, nil
}
