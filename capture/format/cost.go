package format

// Memory an analysis needs, per byte of the artifact once decompressed,
// measured as the peak of the live heap above what was in use before
// (runtime/metrics sampled during the work, GOGC=100):
//   - a pprof profile shaped like runtime/pprof's (BenchmarkCost in
//     report, and genlarge.go's 8 MB heap profile): 13.3 to 14.1 for
//     decoding and analysing it; the decoded profile alone keeps 5.2 to
//     5.9, and 13.5 to 15.2 are allocated in all;
//   - an execution trace of 54 MB from 200 busy goroutines: 3.8;
//   - a goroutine dump: it is read as a stream and only distinct stacks
//     are kept (a 9 MB dump allocates 0.12 per byte in all).
const (
	profileCost = 14
	traceCost   = 4
	textCost    = 1
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
