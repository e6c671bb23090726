package slack

import (
	"strings"
	"testing"

	"github.com/alertprof/alertprof/report/pprof"
)

// TestSummarySectionSaysTheWindow: an allocs, block or mutex section says
// what time its profile covers; others say nothing of it.
func TestSummarySectionSaysTheWindow(t *testing.T) {
	tests := []struct {
		name string
		sum  pprof.Summary
		want string
	}{
		{"mutex delta", pprof.Summary{Kind: pprof.KindMutex, SampleType: "delay", Unit: "nanoseconds", Total: 5e8, DurationNanos: 10_004_000_000}, "*mutex delay*: total 500ms over the last 10s"},
		{"block since start", pprof.Summary{Kind: pprof.KindBlock, SampleType: "delay", Unit: "nanoseconds", Total: 5e8}, "*block delay*: total 500ms since process start"},
		{"allocs delta", pprof.Summary{Kind: pprof.KindAllocs, SampleType: "alloc_space", Unit: "bytes", Total: 1 << 20, DurationNanos: 2e9}, " over the last 2s"},
		{"heap", pprof.Summary{Kind: pprof.KindHeap, SampleType: "inuse_space", Unit: "bytes", Total: 1 << 20}, "*heap inuse_space*: total 1MB\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.sum.Rows = []pprof.Row{{Function: "main.f", Flat: tc.sum.Total, FlatPct: 100, Cum: tc.sum.Total, CumPct: 100}}
			text, _ := summarySection(tc.sum)
			if !strings.Contains(text, tc.want) {
				t.Errorf("section %q lacks %q", text, tc.want)
			}
		})
	}
}
