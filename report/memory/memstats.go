package memory

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Stats is the runtime.MemStats block a Go program's
// /debug/pprof/heap?debug=1 ends with (runtime/pprof writeHeapInternal).
// Field names and meanings are runtime.MemStats's; byte counts are bytes.
type Stats struct {
	Alloc        uint64 `json:"alloc"`
	TotalAlloc   uint64 `json:"total_alloc"`
	Sys          uint64 `json:"sys"`
	HeapAlloc    uint64 `json:"heap_alloc"`
	HeapSys      uint64 `json:"heap_sys"`
	HeapIdle     uint64 `json:"heap_idle"`
	HeapInuse    uint64 `json:"heap_inuse"`
	HeapReleased uint64 `json:"heap_released"`
	HeapObjects  uint64 `json:"heap_objects"`
	StackInuse   uint64 `json:"stack_inuse"`
	StackSys     uint64 `json:"stack_sys"`
	MSpanInuse   uint64 `json:"mspan_inuse"`
	MSpanSys     uint64 `json:"mspan_sys"`
	MCacheInuse  uint64 `json:"mcache_inuse"`
	MCacheSys    uint64 `json:"mcache_sys"`
	BuckHashSys  uint64 `json:"buck_hash_sys"`
	GCSys        uint64 `json:"gc_sys"`
	OtherSys     uint64 `json:"other_sys"`
	NextGC       uint64 `json:"next_gc"`
	NumGC        uint64 `json:"num_gc"`
	NumForcedGC  uint64 `json:"num_forced_gc"`
	// GCCPUFraction is the fraction of the program's CPU time used by the
	// GC since it started.
	GCCPUFraction float64 `json:"gc_cpu_fraction"`
	// MaxRSS is the process's peak resident set size (getrusage), where
	// the platform reports it; zero otherwise.
	MaxRSS uint64 `json:"max_rss,omitempty"`
}

// maxMemStatsLine bounds one line of a heap?debug=1 body. The longest
// Stats line is PauseNs, 256 numbers; longer lines (deep stacks with
// long names) are skipped in part, which only heap records have.
const maxMemStatsLine = 16 << 10

// memStatsHeader starts the block.
const memStatsHeader = "# runtime.MemStats"

// ErrNoStats says a body has no runtime.MemStats block: it is not
// heap?debug=1 output of a Go program, or it was cut short.
var ErrNoStats = errors.New("no '# runtime.MemStats' block (want the text of /debug/pprof/heap?debug=1 from a Go program)")

// ParseStats reads the runtime.MemStats block of a heap profile in text
// form (heap?debug=1). It streams: the heap records before the block can
// be megabytes and are read line by line and dropped, with each line
// bounded; only the block's values are kept.
func ParseStats(r io.Reader) (*Stats, error) {
	br := bufio.NewReaderSize(r, maxMemStatsLine)
	var ms Stats
	in, seen := false, 0
	for lineNo := 1; ; lineNo++ {
		line, err := readBoundedLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read heap profile text: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.Equal(line, []byte(memStatsHeader)):
			in = true
		case in && bytes.HasPrefix(line, []byte("# ")):
			n, perr := ms.set(line[2:])
			if perr != nil {
				return nil, fmt.Errorf("runtime.MemStats line %d %.80q: %w", lineNo, line, perr)
			}
			seen += n
		case in && len(line) > 0:
			in = false // the block ended
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if seen == 0 {
		return nil, ErrNoStats
	}
	if ms.HeapSys == 0 || ms.Sys == 0 {
		return nil, fmt.Errorf("the runtime.MemStats block lacks Sys or HeapSys: %w", ErrNoStats)
	}
	return &ms, nil
}

// readBoundedLine returns the next line; of a line longer than the
// reader's buffer it returns the start and drops the rest.
func readBoundedLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = br.ReadSlice('\n')
	}
	// The start was overwritten by the reads above; a cut line is never a
	// Stats value line, so report it as empty.
	return nil, err
}

// set stores one "Name = value" line of the block; it returns 1 when the
// name is one Stats keeps, 0 for names it ignores.
func (m *Stats) set(kv []byte) (int, error) {
	name, val, ok := bytes.Cut(kv, []byte(" = "))
	if !ok {
		return 0, nil
	}
	u := func(dst *uint64, s []byte) error {
		n, err := strconv.ParseUint(string(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%s is not a count: %w", name, err)
		}
		*dst = n
		return nil
	}
	pair := func(inuse, sys *uint64) error {
		a, b, ok := bytes.Cut(val, []byte(" / "))
		if !ok {
			return fmt.Errorf("%s is not 'inuse / sys'", name)
		}
		if err := u(inuse, a); err != nil {
			return err
		}
		return u(sys, b)
	}
	fields := map[string]*uint64{
		"Alloc": &m.Alloc, "TotalAlloc": &m.TotalAlloc, "Sys": &m.Sys,
		"HeapAlloc": &m.HeapAlloc, "HeapSys": &m.HeapSys, "HeapIdle": &m.HeapIdle,
		"HeapInuse": &m.HeapInuse, "HeapReleased": &m.HeapReleased, "HeapObjects": &m.HeapObjects,
		"BuckHashSys": &m.BuckHashSys, "GCSys": &m.GCSys, "OtherSys": &m.OtherSys,
		"NextGC": &m.NextGC, "NumGC": &m.NumGC, "NumForcedGC": &m.NumForcedGC, "MaxRSS": &m.MaxRSS,
	}
	var err error
	switch key := string(name); key {
	case "Stack":
		err = pair(&m.StackInuse, &m.StackSys)
	case "MSpan":
		err = pair(&m.MSpanInuse, &m.MSpanSys)
	case "MCache":
		err = pair(&m.MCacheInuse, &m.MCacheSys)
	case "GCCPUFraction":
		m.GCCPUFraction, err = strconv.ParseFloat(string(val), 64)
		if err != nil {
			err = fmt.Errorf("GCCPUFraction is not a number: %w", err)
		}
	default:
		dst, ok := fields[key]
		if !ok {
			return 0, nil // Lookups, PauseNs, LastGC, DebugGC, ...
		}
		err = u(dst, val)
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}
