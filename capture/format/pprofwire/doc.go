// Package pprofwire reads a pprof profile from its encoded bytes without
// building the whole profile.Profile: a first pass decodes the header and
// the tables (strings, mappings, functions, locations) into a
// profile.Profile that has no samples; a second pass decompresses the bytes
// again and hands the samples over one at a time, each resolved against
// those tables. Memory is that of the tables, not of the samples.
//
// It accepts and rejects what profile.ParseData accepts and rejects for a
// protocol buffer profile: the same field types, string indexes, IDs and
// sample shapes. A decoding error that profile.ParseData might get past (a
// varint protowire finds malformed, or bytes that are not a protocol
// buffer at all, which profile.ParseData then tries as a legacy text
// profile) wraps ErrWire, so that a caller can fall back to
// profile.ParseData for the final word.
//
// Fetch validation (capture) and the streaming summaries (report/pprof)
// both read profiles through it.
package pprofwire
