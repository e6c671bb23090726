package pprof

import (
	"bufio"
	"fmt"
	"io"

	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
)

// WriteSummary writes the analysis of one summary as plain text for the
// console, `alertprof analyze` and summary.txt: the kind and total (for CPU
// the window and its share, as pprof prints it; for allocs, block and
// mutex the time the profile covers), the headline, the top rows
// by flat and then by cum. Function names are shortened to their package
// name where that stays unambiguous within the summary.
func WriteSummary(w io.Writer, s Summary) error {
	bw := bufio.NewWriter(w)
	title := fmt.Sprintf("%s %s: total %s", s.Kind, s.SampleType, units.FormatValue(s.Total, s.Unit))
	if s.Diff {
		title = fmt.Sprintf("%s %s growth (-base): total |change| %s", s.Kind, s.SampleType, units.FormatValue(s.Total, s.Unit))
	}
	if w := s.Window(); w != "" {
		title += " " + w
	}
	fmt.Fprintln(bw, title)
	if s.Kind == KindCPU && s.DurationNanos > 0 && !s.Diff {
		fmt.Fprintf(bw, "Duration: %s, Total samples = %s (%s)\n",
			units.FormatValue(s.DurationNanos, "nanoseconds"), units.FormatValue(s.Total, s.Unit),
			units.FormatPercent(units.Percent(s.Total, s.DurationNanos)))
	}
	if s.Headline != nil {
		fmt.Fprintf(bw, "=> %s\n", s.Headline.Text)
	}
	names := funcname.ShortAll(RowNames(s))
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
			units.FormatValue(r.Flat, unit), units.SignedPercent(r.FlatPct),
			units.FormatValue(r.Cum, unit), units.SignedPercent(r.CumPct), names[r.Function])
	}
}

// RowNames lists every function a summary names, for funcname.ShortAll.
func RowNames(s Summary) []string {
	names := make([]string, 0, len(s.Rows)+len(s.CumRows)+2)
	for _, r := range s.Rows {
		names = append(names, r.Function)
	}
	for _, r := range s.CumRows {
		names = append(names, r.Function)
	}
	return names
}
