package format

import "github.com/alertprof/alertprof/capture/format/pprofwire"

// Memory an analysis needs, per byte of the artifact once decompressed,
// measured as the peak of the live heap above what was in use before
// (runtime/metrics sampled during the work, GOGC=100):
//   - a pprof profile summarized as a stream (report/pprof AnalyzeData,
//     BenchmarkAnalyzeDataLarge): 0.62 on a 58 MB heap profile, up to 2.84
//     on small profiles whose tables are most of their bytes. The tables
//     are decoded whole, the samples one at a time, so StreamCost charges
//     the tables as a profile decoded whole (14) and the samples 1, with a
//     floor of 4 MiB for buffers; Cost, without the split, charges 3;
//   - a pprof profile decoded whole with google/pprof, as the web UI (and
//     the -base diff and heap growth of a profile given parsed) do (BenchmarkCost in report, and
//     genlarge.go's 8 MB heap profile): 13.3 to 14.1 for decoding and
//     analysing it; the decoded profile alone keeps 5.2 to 5.9, and 13.5
//     to 15.2 are allocated in all;
//   - an execution trace of 54 MB from 200 busy goroutines: 3.8;
//   - a goroutine dump: it is read as a stream and only distinct stacks
//     are kept (a 9 MB dump allocates 0.12 per byte in all).
const (
	streamCost  = 3
	profileCost = 14
	traceCost   = 4
	textCost    = 1
)

// streamFloor is what a streamed summary is charged at least: its
// decompression and table buffers.
const streamFloor = 4 << 20

// costFloor is what any analysis is charged at least: buffers and tables
// whatever the input's size.
const costFloor = 1 << 20

// Cost estimates the memory, in bytes, that analysing an artifact of
// format f needs, from its size once decompressed: a pprof profile is
// summarized as a stream (see ParsedCost for one decoded whole). The
// receiver's memory budget admits work by this figure.
func Cost(f Format, decoded int64) int64 {
	switch {
	case f.Text():
		return costFloor + textCost*decoded
	case f == Trace:
		return costFloor + traceCost*decoded
	}
	return streamFloor + streamCost*decoded
}

// StreamCost estimates the memory that summarizing a pprof profile as a
// stream needs, from the decoded bytes of its samples and of the rest (its
// tables), as pprofwire.Sizes counts them.
func StreamCost(samples, tables int64) int64 {
	return streamFloor + profileCost*tables + samples
}

// ProfileCost is StreamCost of data, read once to split its bytes: a
// profile that cannot be read is charged as if decoded whole.
func ProfileCost(data []byte, maxDecoded int64) int64 {
	samples, tables, err := pprofwire.Sizes(data, maxDecoded)
	if err != nil {
		n, _ := DecodedSize(data, maxDecoded)
		return ParsedCost(n)
	}
	return StreamCost(samples, tables)
}

// diffKeyCost is what a streamed diff (report/pprof DiffData) is charged
// per byte of the samples of both profiles, for its entry per distinct
// merged sample (a 128-bit hash, the summed values and the map's
// overhead) and its second pass. Measured (BenchmarkDiffLarge, a profile
// against a changed copy): the peak heap was 80 MB for the 15 MB of two
// heap profiles of random stacks, which DiffCost charges 92 MB, and
// 137 MB for the 110 MB of two large heap profiles, charged 487 MB.
const diffKeyCost = 3

// DiffCost estimates the memory that diffing two pprof profiles as a
// stream needs: the StreamCost of each (their tables decoded whole, their
// samples read one at a time) and an entry per distinct merged sample,
// charged by the bytes of the samples. A profile that cannot be read is
// charged as if decoded whole.
func DiffCost(base, cur []byte, maxDecoded int64) int64 {
	var cost int64
	for _, data := range [][]byte{base, cur} {
		samples, tables, err := pprofwire.Sizes(data, maxDecoded)
		if err != nil {
			n, _ := DecodedSize(data, maxDecoded)
			cost += ParsedCost(n)
			continue
		}
		cost += StreamCost(samples, tables) + diffKeyCost*samples
	}
	return cost
}

// ParsedCost estimates the memory that decoding a pprof profile whole
// (a *profile.Profile) and analysing it needs, from its size once
// decompressed: the web UI, and a -base diff or heap growth of profiles
// given parsed rather than as bytes.
func ParsedCost(decoded int64) int64 { return costFloor + profileCost*decoded }
