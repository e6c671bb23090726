package capture

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alertprof/alertprof/capture/format"
)

// MaxCPUSeconds caps the CPU profile window, whatever the configuration or
// the alert asks for.
const MaxCPUSeconds = 60

// MaxTraceSeconds caps the execution trace window; DefaultTraceSeconds is
// the window when none is configured.
const (
	MaxTraceSeconds     = 60
	DefaultTraceSeconds = 5
)

// Profile says which pprof endpoint to fetch and how.
type Profile struct {
	// Name is the artifact name: "heap", "goroutine", "cpu", ...
	Name string
	// Endpoint is the handler under the pprof base path: "heap", "profile", ...
	Endpoint string
	// Seconds is the sampling window for profiles that take one (cpu,
	// trace, or a delta of a cumulative profile: allocs, block, mutex);
	// zero for instant snapshots and since-start profiles.
	Seconds int
	// Debug is the endpoint's debug parameter (2 for goroutine stacks as
	// text); zero asks for the protobuf profile.
	Debug int
	// Delay postpones the fetch: the second heap snapshot waits for the
	// growth window after the first.
	Delay time.Duration
}

// Format is what the endpoint answers, as the format registry names it.
func (p Profile) Format() format.Format { return format.ForEndpoint(p.Endpoint, p.Debug) }

// Text reports whether the endpoint answers text rather than a profile.
func (p Profile) Text() bool { return p.Format().Text() }

// Trace reports whether the endpoint answers a Go execution trace rather
// than a profile.
func (p Profile) Trace() bool { return p.Format() == format.Trace }

// File is the artifact's file name: <name>.pb.gz, <name>.txt for text, or
// <name>.out for an execution trace (the name `go tool trace` expects).
func (p Profile) File() string { return p.Name + p.Format().Ext() }

// Query returns the raw query string for the request.
func (p Profile) Query() string {
	var q []string
	if p.Seconds > 0 {
		q = append(q, "seconds="+strconv.Itoa(p.Seconds))
	}
	if p.Debug > 0 {
		q = append(q, "debug="+strconv.Itoa(p.Debug))
	}
	return strings.Join(q, "&")
}

// Settings shape the profiles of a plan.
type Settings struct {
	// CPUSeconds is the CPU window, clamped to [1, MaxCPUSeconds].
	CPUSeconds int
	// HeapGrowthWindow separates the two heap snapshots ("heap" and
	// "heap-2") that show what grew.
	HeapGrowthWindow time.Duration
	// TraceSeconds is the execution trace window, clamped to
	// [1, MaxTraceSeconds]; zero means DefaultTraceSeconds.
	TraceSeconds int
	// DeltaSeconds is the window of the cumulative profiles (allocs,
	// block, mutex), clamped to [1, MaxDeltaSeconds]: they are fetched as
	// their change over that many seconds (?seconds=N), not as what
	// accumulated since the process started. Zero takes them since start;
	// DeltaCPU takes CPUSeconds.
	DeltaSeconds int
}

// DefaultHeapGrowthWindow is the time between the two heap snapshots.
const DefaultHeapGrowthWindow = 30 * time.Second

// ProfileByName returns the fetch spec for a profile name as used in the
// configuration. cpuSeconds is clamped to [1, MaxCPUSeconds].
func ProfileByName(name string, cpuSeconds int) (Profile, error) {
	return ProfileFor(name, Settings{CPUSeconds: cpuSeconds})
}

// ProfileFor returns the fetch spec for a profile name: a pprof profile
// (heap, allocs, goroutine, block, mutex, threadcreate, cpu; allocs,
// block and mutex over DeltaSeconds when set), the goroutine
// stacks as text ("goroutines", goroutine?debug=2), the runtime's memory
// statistics ("memstats", heap?debug=1), the second heap snapshot
// ("heap-2", taken HeapGrowthWindow after the first), or an execution
// trace of TraceSeconds ("trace").
func ProfileFor(name string, s Settings) (Profile, error) {
	switch name {
	case "allocs", "block", "mutex":
		return Profile{Name: name, Endpoint: name, Seconds: s.deltaSeconds()}, nil
	case "heap", "goroutine", "threadcreate":
		return Profile{Name: name, Endpoint: name}, nil
	case "cpu":
		return Profile{Name: "cpu", Endpoint: "profile", Seconds: clampCPUSeconds(s.CPUSeconds)}, nil
	case "goroutines":
		return Profile{Name: "goroutines", Endpoint: "goroutine", Debug: 2}, nil
	case "memstats":
		// The heap profile as text ends with the runtime's MemStats.
		return Profile{Name: "memstats", Endpoint: "heap", Debug: 1}, nil
	case "trace":
		return Profile{Name: "trace", Endpoint: "trace", Seconds: clampTraceSeconds(s.TraceSeconds)}, nil
	case "heap-2":
		w := s.HeapGrowthWindow
		if w <= 0 {
			w = DefaultHeapGrowthWindow
		}
		return Profile{Name: "heap-2", Endpoint: "heap", Delay: w}, nil
	default:
		return Profile{}, fmt.Errorf("unknown profile %q (known: heap, heap-2, allocs, goroutine, goroutines, memstats, block, mutex, threadcreate, cpu, trace)", name)
	}
}

// Plan turns profile names into fetch specs.
func Plan(names []string, cpuSeconds int) ([]Profile, error) {
	return PlanFor(names, Settings{CPUSeconds: cpuSeconds})
}

// PlanFor turns profile names into fetch specs with the given settings.
func PlanFor(names []string, s Settings) ([]Profile, error) {
	// A plan with a heap growth window and no CPU window (the memory
	// plan) takes its deltas over the growth window: its allocations are
	// those of the window the heap grew in, and its windows end together.
	if s.DeltaSeconds == DeltaCPU && slices.Contains(names, "heap-2") && !slices.Contains(names, "cpu") {
		w := s.HeapGrowthWindow
		if w <= 0 {
			w = DefaultHeapGrowthWindow
		}
		s.DeltaSeconds = max(1, int(w.Round(time.Second)/time.Second))
	}
	plan := make([]Profile, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("profile %q listed twice", n)
		}
		seen[n] = true
		p, err := ProfileFor(n, s)
		if err != nil {
			return nil, err
		}
		plan = append(plan, p)
	}
	return plan, nil
}

func clampCPUSeconds(s int) int {
	switch {
	case s < 1:
		return 1
	case s > MaxCPUSeconds:
		return MaxCPUSeconds
	}
	return s
}

func clampTraceSeconds(s int) int {
	switch {
	case s == 0:
		return DefaultTraceSeconds
	case s < 1:
		return 1
	case s > MaxTraceSeconds:
		return MaxTraceSeconds
	}
	return s
}
