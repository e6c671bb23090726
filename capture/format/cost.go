package format

// Memory an analysis needs, per byte of the artifact once decompressed.
// Measured with google/pprof's profile.Profile on synthetic profiles shaped
// like runtime/pprof's (report/testdata/bench/genlarge.go, 8 and 10 MB
// decoded): a parsed profile keeps 5.2 bytes per decoded byte; parsing
// allocates 12 in all and the analysis 1.5 more, most of it short-lived.
// See BenchmarkCost in report for the figures on this machine.
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
