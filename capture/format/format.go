// Package format is the one registry of the artifact formats alertprof
// captures, stores and analyses: pprof protocol buffers, goroutine dumps
// (goroutine?debug=2), heap profiles in text with the runtime's MemStats
// (heap?debug=1) and Go execution traces. Fetch validation, analysis, the
// command line and the web UI all ask it what an artifact is, so they can
// never disagree.
package format

import (
	"strings"
)

// Format names what an artifact is.
type Format string

// The formats alertprof knows.
const (
	// Unknown is anything else.
	Unknown Format = ""
	// Profile is a pprof protocol buffer profile, gzipped or not.
	Profile Format = "pprof"
	// Goroutines is a goroutine dump in text, with full stacks, wait
	// reasons and times (goroutine?debug=2).
	Goroutines Format = "goroutines"
	// HeapText is the heap profile in text (heap?debug=1), which ends with
	// the runtime's MemStats.
	HeapText Format = "heap-text"
	// Trace is a Go execution trace (/debug/pprof/trace).
	Trace Format = "trace"
)

// spec is what the registry knows of one format.
type spec struct {
	ext         string // file name ending of the artifact
	contentType string // for object stores and downloads
	what        string // in words, for errors: "a goroutine dump"
}

var specs = map[Format]spec{
	Profile:    {ext: ".pb.gz", contentType: "application/octet-stream", what: "a pprof profile"},
	Goroutines: {ext: ".txt", contentType: "text/plain; charset=utf-8", what: "a goroutine dump"},
	HeapText:   {ext: ".txt", contentType: "text/plain; charset=utf-8", what: "a heap profile in text form"},
	Trace:      {ext: ".out", contentType: "application/octet-stream", what: "a Go execution trace"},
}

// ForEndpoint returns the format a pprof endpoint answers with the given
// debug parameter: "trace" answers an execution trace, debug>0 text (a heap
// profile in text for heap and allocs, a goroutine dump otherwise), and
// debug=0 a pprof profile.
func ForEndpoint(endpoint string, debug int) Format {
	switch {
	case endpoint == "trace":
		return Trace
	case debug > 0 && (endpoint == "heap" || endpoint == "allocs"):
		return HeapText
	case debug > 0:
		return Goroutines
	}
	return Profile
}

// Ext is the artifact file name's ending: ".pb.gz" for a pprof profile,
// ".txt" for text, ".out" for an execution trace (the name `go tool trace`
// expects); "" for Unknown.
func (f Format) Ext() string { return specs[f].ext }

// ContentType is the artifact's media type, for stores and downloads.
func (f Format) ContentType() string {
	if c := specs[f].contentType; c != "" {
		return c
	}
	return "application/octet-stream"
}

// Text reports whether the format is text, read line by line.
func (f Format) Text() bool { return f == Goroutines || f == HeapText }

// What names the format in words, for messages: "a goroutine dump".
func (f Format) What() string {
	if w := specs[f].what; w != "" {
		return w
	}
	return "an unknown format"
}

// OfKey returns the format an artifact key's ending says, where the ending
// alone decides: Profile for ".pb.gz", Trace for ".out". Text artifacts
// share ".txt" with summaries, so a ".txt" key is Unknown: read the
// content with Detect.
func OfKey(key string) Format {
	switch {
	case strings.HasSuffix(key, specs[Profile].ext):
		return Profile
	case strings.HasSuffix(key, specs[Trace].ext):
		return Trace
	}
	return Unknown
}
