package capture

import (
	"fmt"
	"math"
	"strconv"
)

// MemoryBounds are the memory settings of the captured container: its
// Kubernetes memory request and limit, and the Go runtime's own limit
// (GOMEMLIMIT) and GOGC from its environment.
type MemoryBounds struct {
	// Container is the container the bounds are of.
	Container string `json:"container"`
	// Request and Limit are the container's memory resources in bytes,
	// zero when not set; RequestText and LimitText are the quantities as
	// written ("256Mi").
	Request     int64  `json:"request_bytes,omitempty"`
	Limit       int64  `json:"limit_bytes,omitempty"`
	RequestText string `json:"request,omitempty"`
	LimitText   string `json:"limit,omitempty"`
	// GoMemLimit is GOMEMLIMIT in bytes as the Go runtime reads it; zero
	// when it is not set, "off", or not known (see GoMemLimitNote).
	GoMemLimit int64 `json:"gomemlimit_bytes,omitempty"`
	// GoMemLimitSource says where GOMEMLIMIT comes from: "env" for a
	// literal value, "resourceFieldRef limits.memory (divisor 1)", ...;
	// empty when the container does not set it.
	GoMemLimitSource string `json:"gomemlimit_source,omitempty"`
	// GoMemLimitNote says why GoMemLimit is unknown or suspicious (a
	// malformed value, a ConfigMap reference alertprof does not read, a
	// divisor that turns the limit into a bare count of MiB, ...).
	GoMemLimitNote string `json:"gomemlimit_note,omitempty"`
	// GOGC is the container's literal GOGC value, when it sets one.
	GOGC string `json:"gogc,omitempty"`
}

// ParseGoMemLimit parses a GOMEMLIMIT value the way the Go runtime does:
// a non-negative number of bytes with an optional B, KiB, MiB, GiB or TiB
// suffix, or "off" (or empty) for no limit, which returns math.MaxInt64
// as the runtime's own setting then reads. A value the runtime rejects is
// an error; such a process dies at start.
func ParseGoMemLimit(s string) (int64, error) {
	if s == "" || s == "off" {
		return math.MaxInt64, nil
	}
	bad := func() (int64, error) {
		return 0, fmt.Errorf("GOMEMLIMIT=%q is malformed (want bytes with an optional B, KiB, MiB, GiB or TiB suffix, or off); the Go runtime refuses to start with it", s)
	}
	num, mult := s, uint64(1)
	last := s[len(s)-1]
	switch {
	case last >= '0' && last <= '9':
	case last != 'B' || len(s) < 2:
		return bad()
	case s[len(s)-2] >= '0' && s[len(s)-2] <= '9':
		num = s[:len(s)-1]
	case s[len(s)-2] != 'i' || len(s) < 4:
		return bad()
	default:
		power := map[byte]int{'K': 1, 'M': 2, 'G': 3, 'T': 4}[s[len(s)-3]]
		if power == 0 {
			return bad()
		}
		for range power {
			mult *= 1024
		}
		num = s[:len(s)-3]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return bad()
	}
	if uint64(n) > math.MaxInt64/mult {
		return 0, fmt.Errorf("GOMEMLIMIT=%q overflows 63 bits; the Go runtime refuses to start with it", s)
	}
	return int64(uint64(n) * mult), nil
}
