package pprof

import (
	"cmp"
	"fmt"

	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
)

// Headline is the one-sentence verdict on a profile: the function with the
// heaviest flat value and the user function whose calls lead to most of it,
// so that runtime and standard-library frames never hide the user's code.
type Headline struct {
	// Function is the heaviest flat function (the first row of the
	// summary), as pprof names it.
	Function string `json:"function"`
	// Caller is the innermost user function above Function on the stacks
	// that carry most of Function's value; empty when Function is itself
	// user code or no user function calls it.
	Caller string `json:"caller,omitempty"`
	// Runtime is set when no user code leads to most of Function's value:
	// Caller is then the runtime's own site (the first frame above its
	// allocation helpers, e.g. runtime.malg for new goroutines), never a
	// user function.
	Runtime bool `json:"runtime,omitempty"`
	// NewGoroutines is set when that runtime site creates goroutines: the
	// cost is goroutines, and a goroutine dump names who starts them.
	NewGoroutines bool `json:"new_goroutines,omitempty"`
	// Value is the part of the total spent in Function under Caller, in
	// the summary's unit; Pct is it as a percentage of the total.
	Value int64   `json:"value"`
	Pct   float64 `json:"pct"`
	// Net is the sum of the sample values: equal to the total for ordinary
	// profiles, the net growth for diffs.
	Net int64 `json:"net"`
	// Text is the sentence, e.g. "inuse heap 6.40GB, 94.12% allocated by
	// reflect.New ← main.ScanCustomers".
	Text string `json:"text"`
}

// Culprit is the function the headline blames: Caller, or Function when
// Function is user code, or, when no user function is involved, the
// runtime's site (Caller with Runtime set), not its allocator.
func (h Headline) Culprit() string {
	if h.Caller != "" {
		return h.Caller
	}
	return h.Function
}

// headline builds the headline of the summary of view j, whose rows are
// sorted by flat.
func (st *stacks) headline(j int, sum Summary) *Headline {
	if len(sum.Rows) == 0 || sum.Rows[0].Flat == 0 {
		return nil
	}
	h := &Headline{Function: sum.Rows[0].Function, Net: st.net[j]}
	userLeaf := funcname.IsUser(h.Function)
	// The values of the samples whose flat function is Function, by the
	// innermost user function on their stacks (Function itself is not
	// user code, so it is never the caller); a caller is listed when a
	// sample with a non-zero value has it.
	// Runtime-only stacks are also weighed by their runtime site.
	byCaller := make(map[string]int64)
	bySite := make(map[string]int64)
	k := len(st.idxs)
	for p, key := range st.pairKeys {
		if userLeaf || !st.pairSeen[p*k+j] || st.names[key[0]] != h.Function {
			continue
		}
		caller := ""
		if key[1] >= 0 {
			caller = st.names[key[1]]
		} else if key[1] <= -2 {
			bySite[st.names[-2-key[1]]] += st.pairSum[p*k+j]
		}
		byCaller[caller] += st.pairSum[p*k+j]
	}
	h.Value = sum.Rows[0].Flat
	if !userLeaf {
		var best string
		var bestV int64
		found := false
		// Stacks without user code are the runtime's own. They must not
		// hide a user function that carries a fair share (a fifth) of
		// Function's value, but a user function with a sliver of it would
		// mislead.
		for c, v := range byCaller {
			if c == "" {
				continue
			}
			if !found || abs(v) > abs(bestV) || (abs(v) == abs(bestV) && cmp.Less(c, best)) {
				best, bestV, found = c, v, true
			}
		}
		if rt, ok := byCaller[""]; ok && (!found || abs(rt) > abs(bestV) && abs(bestV)*5 < abs(sum.Rows[0].Flat)) {
			best, bestV = "", rt
		}
		h.Caller, h.Value = best, bestV
		if best == "" {
			h.Caller = heaviest(bySite)
			h.Runtime = h.Caller != "" && h.Caller != h.Function
			if !h.Runtime {
				h.Caller = ""
			}
			h.NewGoroutines = goroutineCreation(h.Caller)
		}
	}
	h.Pct = units.Percent(h.Value, sum.Total)
	h.Text = headlineText(sum, h)
	return h
}

// headlineText words the headline for the profile's kind and sample type.
func headlineText(sum Summary, h *Headline) string {
	what, verb := costWords(sum)
	amount := units.FormatValue(sum.Total, sum.Unit)
	if sum.Diff {
		if h.Net < 0 {
			// A shrink says so: "grew -114.65MB" reads as growth.
			return fmt.Sprintf("%s shrank %s, %s of the change in %s",
				what, units.FormatValue(-h.Net, sum.Unit), units.FormatPercent(h.Pct), h.path())
		}
		amount = "+" + units.FormatValue(h.Net, sum.Unit)
		what += " grew"
	}
	lead := fmt.Sprintf("%s %s", what, amount)
	if sum.Kind == KindGoroutine && !sum.Diff {
		lead = fmt.Sprintf("%s goroutines", amount)
	}
	if sum.Kind == KindCPU && sum.DurationNanos > 0 && !sum.Diff {
		lead += fmt.Sprintf(" in %s (%s of the window)",
			units.FormatValue(sum.DurationNanos, "nanoseconds"), units.FormatPercent(units.Percent(sum.Total, sum.DurationNanos)))
	}
	return fmt.Sprintf("%s, %s %s %s", lead, units.FormatPercent(h.Pct), verb, h.path())
}

// path is "Function ← Caller", or Function without a caller; a runtime
// site that creates goroutines says so.
func (h *Headline) path() string {
	p := h.Function
	if h.Caller != "" {
		p += " ← " + h.Caller
	}
	if h.NewGoroutines {
		p += " (new goroutines)"
	}
	return p
}

// heaviest is the key of m with the largest |value|, the first in order
// among equals; "" when m is empty.
func heaviest(m map[string]int64) string {
	var best string
	var bestV int64
	for c, v := range m {
		if best == "" || abs(v) > abs(bestV) || (abs(v) == abs(bestV) && cmp.Less(c, best)) {
			best, bestV = c, v
		}
	}
	return best
}

// Grew reports whether the summary is a diff whose net change is growth.
func (s Summary) Grew() bool { return s.Diff && s.Headline != nil && s.Headline.Net > 0 }

// costWords names what a summary measures and how its cost is incurred.
func costWords(sum Summary) (what, verb string) {
	switch sum.Kind {
	case KindHeap, KindAllocs:
		switch sum.SampleType {
		case "inuse_space", "space":
			return "inuse heap", "allocated by"
		case "inuse_objects", "objects":
			return "inuse objects", "allocated by"
		case "alloc_space":
			return "allocated", "by"
		case "alloc_objects":
			return "allocated objects", "by"
		}
	case KindCPU:
		return "CPU", "in"
	case KindGoroutine:
		return "goroutines", "in"
	case KindBlock:
		if sum.SampleType == "contentions" {
			return "blocking events", "in"
		}
		return "blocked", "in"
	case KindMutex:
		if sum.SampleType == "contentions" {
			return "mutex contentions", "in"
		}
		return "mutex wait", "in"
	}
	return sum.SampleType, "in"
}
