package pprof

import (
	"fmt"
	"io"
	"strings"

	"github.com/alertprof/alertprof/report/internal/units"
)

// WriteText writes s as a plain-text table: a header line
// "<kind> <sample_type>: total <total>", then one line per row with the
// columns flat, flat%, cum, cum% and function, laid out like
// `go tool pprof -top` (without its sum% column). Each value is formatted
// with FormatValue in the summary's unit.
func WriteText(w io.Writer, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: total %s\n", s.Kind, s.SampleType, units.FormatValue(s.Total, s.Unit))
	fmt.Fprintf(&b, "%10s %6s %10s %6s  %s\n", "flat", "flat%", "cum", "cum%", "function")
	for _, r := range s.Rows {
		fmt.Fprintf(&b, "%10s %6s %10s %6s  %s\n",
			units.FormatValue(r.Flat, s.Unit), units.FormatPercent(r.FlatPct),
			units.FormatValue(r.Cum, s.Unit), units.FormatPercent(r.CumPct),
			r.Function)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}
