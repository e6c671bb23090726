package goroutines

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alertprof/alertprof/report/internal/funcname"
)

// Change is one group's change in size between two dumps.
type Change struct {
	// Group is the group in the later dump (for a group that is gone, in
	// the earlier one, with Count 0).
	Group
	// Before is the group's size in the earlier dump.
	Before int `json:"before"`
	// Delta is Count - Before.
	Delta int `json:"delta"`
}

// Growth compares two goroutine dumps of one process: how many
// goroutines each group (same state, stack and creator) gained or lost.
type Growth struct {
	// Before and After are the dumps' totals.
	Before int `json:"before"`
	After  int `json:"after"`
	// Changes are the groups whose size changed, largest growth first,
	// shrinking groups last.
	Changes []Change `json:"changes"`
}

// Compare returns the growth from base to cur. Groups are matched by
// state, stack and creator; wait times and lines do not count.
func Compare(base, cur *Dump) *Growth {
	before, order := merged(base)
	after, curOrder := merged(cur)
	gr := &Growth{Before: base.Total, After: cur.Total}
	for _, k := range curOrder {
		g := after[k]
		if d := g.Count - before[k].Count; d != 0 {
			gr.Changes = append(gr.Changes, Change{Group: g, Before: before[k].Count, Delta: d})
		}
	}
	for _, k := range order {
		if g, ok := after[k]; !ok {
			g = before[k]
			b := g.Count
			g.Count = 0
			gr.Changes = append(gr.Changes, Change{Group: g, Before: b, Delta: -b})
		}
	}
	slices.SortStableFunc(gr.Changes, func(a, b Change) int {
		if c := cmp.Compare(b.Delta, a.Delta); c != 0 {
			return c
		}
		if c := cmp.Compare(a.State, b.State); c != 0 {
			return c
		}
		return slices.Compare(a.Stack, b.Stack)
	})
	return gr
}

// merged is d's groups by state, stack and creator (groups that differ
// only by line are one), and their keys in the dump's order.
func merged(d *Dump) (map[string]Group, []string) {
	m := make(map[string]Group, len(d.Groups))
	var order []string
	for _, g := range d.Groups {
		k := g.State + "\x00" + strings.Join(g.Stack, "\x00") + "\x00" + g.CreatedBy
		if prev, ok := m[k]; ok {
			prev.Count += g.Count
			prev.MaxWait = max(prev.MaxWait, g.MaxWait)
			m[k] = prev
			continue
		}
		m[k] = g
		order = append(order, k)
	}
	return m, order
}

// Headline is the growth's sentence: the change in the total and the
// group that grew most, e.g. "goroutines grew +4,999 (4 → 5,003), +4,999
// in [chan send] at main.fetchWorker, created by main.fetchAll"; "" for a
// nil growth.
func (gr *Growth) Headline() string {
	if gr == nil {
		return ""
	}
	if len(gr.Changes) == 0 {
		return fmt.Sprintf("goroutines unchanged (%d)", gr.After)
	}
	d := gr.After - gr.Before
	verb := "grew"
	if d < 0 {
		verb = "shrank"
	}
	s := fmt.Sprintf("goroutines %s %+d (%d → %d)", verb, d, gr.Before, gr.After)
	c := gr.Changes[0]
	if d < 0 {
		c = gr.Changes[len(gr.Changes)-1]
	}
	s += fmt.Sprintf(", %+d in [%s] at %s", c.Delta, c.State, c.Top)
	if c.CreatedBy != "" && c.CreatedBy != c.Top {
		s += ", created by " + c.CreatedBy
	}
	return s
}

// WriteGrowth writes the growth as plain text: its headline, then the top
// changed groups, growth first.
func WriteGrowth(w io.Writer, gr *Growth, top int) error {
	if top <= 0 {
		top = defaultTop
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goroutine growth (-base): %d → %d\n", gr.Before, gr.After)
	fmt.Fprintf(bw, "=> %s\n", gr.Headline())
	fmt.Fprintf(bw, "%8s %8s  %-32s  %s\n", "change", "now", "state", "top user frame")
	for _, c := range gr.Changes[:min(top, len(gr.Changes))] {
		line := fmt.Sprintf("%+8d %8d  %-32s  %s", c.Delta, c.Count, "["+c.State+"]", funcname.Short(c.Top))
		if c.CreatedBy != "" && c.CreatedBy != c.Top {
			line += "  (created by " + funcname.Short(c.CreatedBy) + ")"
		}
		fmt.Fprintln(bw, line)
	}
	if rest := len(gr.Changes) - top; rest > 0 {
		fmt.Fprintf(bw, "%17s  … %d more changed groups\n", "", rest)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write goroutine growth: %w", err)
	}
	return nil
}
