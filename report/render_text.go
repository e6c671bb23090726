package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteSummary writes the analysis of one summary as plain text for the
// console, `alertprof analyze` and summary.txt: the kind and total (for CPU
// the window and its share, as pprof prints it), the headline, the top rows
// by flat and then by cum. Function names are shortened to their package
// name where that stays unambiguous within the summary.
func WriteSummary(w io.Writer, s Summary) error {
	bw := bufio.NewWriter(w)
	title := fmt.Sprintf("%s %s: total %s", s.Kind, s.SampleType, FormatValue(s.Total, s.Unit))
	if s.Diff {
		title = fmt.Sprintf("%s %s growth (-base): total |change| %s", s.Kind, s.SampleType, FormatValue(s.Total, s.Unit))
	}
	fmt.Fprintln(bw, title)
	if s.Kind == kindCPU && s.DurationNanos > 0 && !s.Diff {
		fmt.Fprintf(bw, "Duration: %s, Total samples = %s (%s)\n",
			FormatValue(s.DurationNanos, "nanoseconds"), FormatValue(s.Total, s.Unit),
			formatPercent(percent(s.Total, s.DurationNanos)))
	}
	if s.Headline != nil {
		fmt.Fprintf(bw, "=> %s\n", s.Headline.Text)
	}
	names := shortNames(rowNames(s))
	writeRows(bw, "top by flat", s.Rows, s.Unit, names)
	if len(s.CumRows) > 0 {
		writeRows(bw, "top by cum", s.CumRows, s.Unit, names)
	}
	if s.Dropped > 0 {
		fmt.Fprintf(bw, "(%d functions below 0.5%% of the total not shown)\n", s.Dropped)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func writeRows(w io.Writer, title string, rows []Row, unit string, names map[string]string) {
	fmt.Fprintf(w, "%10s %7s %10s %7s  %s\n", "flat", "flat%", "cum", "cum%", title)
	for _, r := range rows {
		fmt.Fprintf(w, "%10s %7s %10s %7s  %s\n",
			FormatValue(r.Flat, unit), signedPercent(r.FlatPct),
			FormatValue(r.Cum, unit), signedPercent(r.CumPct), names[r.Function])
	}
}

// signedPercent is formatPercent keeping a minus sign (diffs shrink).
func signedPercent(pct float64) string {
	if pct < 0 {
		return "-" + formatPercent(pct)
	}
	return formatPercent(pct)
}

// rowNames lists every function named by s, for shortNames.
func rowNames(s Summary) []string {
	names := make([]string, 0, len(s.Rows)+len(s.CumRows)+2)
	for _, r := range s.Rows {
		names = append(names, r.Function)
	}
	for _, r := range s.CumRows {
		names = append(names, r.Function)
	}
	return names
}

// WriteGoroutines writes a grouped goroutine dump as plain text: the
// headline, then the top groups, largest first, each with its count,
// state and longest wait, top user frame and creator, and the stack of the
// largest groups.
func WriteGoroutines(w io.Writer, g *Goroutines, top int) error {
	if top <= 0 {
		top = defaultTop
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goroutines: %d in %d groups\n", g.Total, len(g.Groups))
	fmt.Fprintf(bw, "=> %s\n", g.Headline())
	fmt.Fprintf(bw, "%8s  %-32s  %s\n", "count", "state", "top user frame")
	groups := g.Groups[:min(top, len(g.Groups))]
	for _, gr := range groups {
		line := fmt.Sprintf("%8d  %-32s  %s", gr.Count, "["+gr.Wait()+"]", shortName(gr.Top))
		if gr.CreatedBy != "" && gr.CreatedBy != gr.Top {
			line += "  (created by " + shortName(gr.CreatedBy) + ")"
		}
		fmt.Fprintln(bw, line)
	}
	if rest := len(g.Groups) - len(groups); rest > 0 {
		fmt.Fprintf(bw, "%8s  … %d more groups\n", "", rest)
	}
	if g.Other > 0 {
		fmt.Fprintf(bw, "%8d  (in groups beyond the first %d)\n", g.Other, maxGoroutineGroups)
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
func stackText(gr GoroutineGroup, n int) string {
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
