package goroutines

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
)

// defaultTop is the number of groups Write lists when asked for none.
const defaultTop = 10

// Headline is the goroutine dump's sentence: the total and its largest
// group, e.g. "10,012 goroutines, 10,000 (99.88%) in [chan receive, 17
// minutes] at main.worker".
func (g *Dump) Headline() string {
	if g == nil || g.Total == 0 {
		return ""
	}
	if len(g.Groups) == 0 {
		return fmt.Sprintf("%d goroutines", g.Total)
	}
	top := g.Groups[0]
	return fmt.Sprintf("%d goroutines, %d (%s) in [%s] at %s",
		g.Total, top.Count, units.FormatPercent(units.Percent(int64(top.Count), int64(g.Total))), top.Wait(), top.Top)
}

// Write writes a grouped goroutine dump as plain text: the
// headline, then the top groups, largest first, each with its count,
// state and longest wait, top user frame and creator, and the stack of the
// largest groups.
func Write(w io.Writer, g *Dump, top int) error {
	if top <= 0 {
		top = defaultTop
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goroutines: %d in %d groups\n", g.Total, len(g.Groups))
	fmt.Fprintf(bw, "=> %s\n", g.Headline())
	fmt.Fprintf(bw, "%8s  %-32s  %s\n", "count", "state", "top user frame")
	groups := g.Groups[:min(top, len(g.Groups))]
	for _, gr := range groups {
		line := fmt.Sprintf("%8d  %-32s  %s", gr.Count, "["+gr.Wait()+"]", funcname.Short(gr.Top))
		if gr.CreatedBy != "" && gr.CreatedBy != gr.Top {
			line += "  (created by " + funcname.Short(gr.CreatedBy) + ")"
		}
		fmt.Fprintln(bw, line)
	}
	if rest := len(g.Groups) - len(groups); rest > 0 {
		fmt.Fprintf(bw, "%8s  … %d more groups\n", "", rest)
	}
	if g.Other > 0 {
		fmt.Fprintf(bw, "%8d  (in groups beyond the first %d)\n", g.Other, maxGroups)
	}
	for i, gr := range groups[:min(3, len(groups))] {
		fmt.Fprintf(bw, "\ngroup %d: %d × [%s]\n", i+1, gr.Count, gr.Wait())
		fmt.Fprint(bw, stackText(gr, 12))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write goroutines: %w", err)
	}
	return nil
}

// stackText lists up to n frames of a group, one per line, indented.
func stackText(gr Group, n int) string {
	var b strings.Builder
	for i, f := range gr.Stack {
		if i == n {
			fmt.Fprintf(&b, "    … %d more frames\n", len(gr.Stack)-n)
			break
		}
		fmt.Fprintf(&b, "    %s\n", f)
	}
	if gr.CreatedBy != "" {
		fmt.Fprintf(&b, "    created by %s\n", gr.CreatedBy)
	}
	return b.String()
}
