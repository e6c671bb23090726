package capture

import (
	"fmt"
	"strconv"
)

// MaxCPUSeconds caps the CPU profile window, whatever the configuration or
// the alert asks for.
const MaxCPUSeconds = 60

// Profile says which pprof endpoint to fetch and how.
type Profile struct {
	// Name is the artifact name: "heap", "goroutine", "cpu", ...
	Name string
	// Endpoint is the handler under the pprof base path: "heap", "profile", ...
	Endpoint string
	// Seconds is the sampling window for profiles that take one (cpu,
	// trace, or a delta heap); zero for instant snapshots.
	Seconds int
}

// Query returns the raw query string for the request.
func (p Profile) Query() string {
	if p.Seconds > 0 {
		return "seconds=" + strconv.Itoa(p.Seconds)
	}
	return ""
}

// ProfileByName returns the fetch spec for a profile name as used in the
// configuration. cpuSeconds is clamped to [1, MaxCPUSeconds].
func ProfileByName(name string, cpuSeconds int) (Profile, error) {
	switch name {
	case "heap", "allocs", "goroutine", "block", "mutex", "threadcreate":
		return Profile{Name: name, Endpoint: name}, nil
	case "cpu":
		return Profile{Name: "cpu", Endpoint: "profile", Seconds: clampCPUSeconds(cpuSeconds)}, nil
	default:
		return Profile{}, fmt.Errorf("unknown profile %q (known: heap, allocs, goroutine, block, mutex, threadcreate, cpu)", name)
	}
}

// Plan turns profile names into fetch specs.
func Plan(names []string, cpuSeconds int) ([]Profile, error) {
	plan := make([]Profile, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("profile %q listed twice", n)
		}
		seen[n] = true
		p, err := ProfileByName(n, cpuSeconds)
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
