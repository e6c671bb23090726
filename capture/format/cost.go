package format

// Memory an analysis needs, per byte of the artifact once decompressed.
// Measured with google/pprof's profile.Profile on synthetic profiles shaped
// like runtime/pprof's (BenchmarkCost in report; genlarge.go's 8 and 10 MB
// profiles): the decoded profile keeps 5.2 to 5.9 bytes per decoded byte,
// and decoding plus the analysis allocate 13.5 to 15.2 in all. The charge
// lies between: part of what is allocated is garbage the collector takes
// back during the work (the receiver runs with a soft memory limit), and
// the hostile-target test holds the receiver's peak under its pod limit
// with profiles just under the decoded cap decoded at once.
const (
	// profileCost covers the decoded buffer, the parsed profile and the
	// analysis's graphs at their peak.
	profileCost = 12
	// textCost covers a text artifact: it is read as a stream, and only
	// distinct stacks (goroutine dumps) are kept.
	textCost = 2
	// traceCost covers an execution trace, read as a stream of events
	// with per-goroutine state kept.
	traceCost = 2
)

// costFloor is what any analysis is charged at least: buffers and tables
// whatever the input's size.
const costFloor = 1 << 20

// Cost estimates the memory, in bytes, that decoding and analysing an
// artifact of format f needs, from its size once decompressed. The
// receiver's memory budget admits work by this figure.
func Cost(f Format, decoded int64) int64 {
	per := int64(profileCost)
	switch {
	case f.Text():
		per = textCost
	case f == Trace:
		per = traceCost
	}
	return costFloor + per*decoded
}
