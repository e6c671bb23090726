package capture

import "strings"

// The kinds of alert, each with its own capture plan.
const (
	KindMemory  = "memory"
	KindLatency = "latency"
	KindRestart = "restart"
	KindDefault = "default"
)

// Kinds lists every kind.
var Kinds = []string{KindMemory, KindLatency, KindRestart, KindDefault}

// DefaultPlans are the profiles captured for each kind of alert.
var DefaultPlans = map[string][]string{
	// Two heap snapshots a growth window apart show what grows; memstats
	// sets the runtime's memory against the container's limit.
	KindMemory: {"heap", "heap-2", "allocs", "goroutines", "memstats"},
	// Where time goes on CPU, and where goroutines wait when it does not;
	// the execution trace splits request time by state.
	KindLatency: {"cpu", "goroutines", "block", "mutex", "trace"},
	// What the process was doing, and holding, before it restarts again.
	KindRestart: {"goroutines", "heap", "memstats"},
	KindDefault: {"heap", "goroutine", "cpu"},
}

// KindOf says what an alert is about: its alertprof_kind label when that
// names a kind, else a guess from the alert's name, else KindDefault.
func KindOf(labels map[string]string) string {
	if k := labels["alertprof_kind"]; isKind(k) {
		return k
	}
	name := strings.ToLower(labels["alertname"])
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(name, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("restart", "crashloop", "oomkill"):
		return KindRestart
	case has("memory", "heap", "oom", "rss", "workingset", "leak"):
		return KindMemory
	case has("latency", "slow", "duration", "p99", "p95", "timeout"):
		return KindLatency
	}
	return KindDefault
}

func isKind(k string) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}
