package pprof

import (
	"time"

	"github.com/alertprof/alertprof/report/internal/units"
)

// Window says what time a cumulative profile covers: "over the last 10s"
// for a delta (fetched with ?seconds=N: the profile's duration is its
// window), "since process start" otherwise. Allocs, block and mutex
// profiles accumulate from the start of the process, so without a window
// old history weighs as much as what happens now. It is "" for other
// kinds and for a diff.
func (s Summary) Window() string {
	if s.Diff {
		return ""
	}
	switch s.Kind {
	case KindAllocs, KindBlock, KindMutex:
	default:
		return ""
	}
	if s.DurationNanos <= 0 {
		return "since process start"
	}
	d := time.Duration(s.DurationNanos)
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	return "over the last " + units.Duration(d)
}
