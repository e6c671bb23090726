package report

import (
	"bufio"
	"fmt"
	"io"
)

// WritePod writes the plain-text report of one pod: a line per profile
// with its link or its error, then each profile's top-N table.
func WritePod(w io.Writer, pr PodReport) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\n--- %s  alert %s", pr.Target, pr.AlertName)
	if pr.Address != "" {
		fmt.Fprintf(bw, "  (%s)", pr.Address)
	}
	fmt.Fprintln(bw, " ---")
	if pr.Problem != "" {
		fmt.Fprintf(bw, "no capture: %s\n", pr.Problem)
		return bw.Flush()
	}
	for _, p := range pr.Profiles {
		if p.Error != "" {
			fmt.Fprintf(bw, "  %-10s FAILED: %s\n", p.Name, p.Error)
			continue
		}
		fmt.Fprintf(bw, "  %-10s %s\n", p.Name, p.Link)
	}
	for _, p := range pr.Profiles {
		if p.Summary == nil {
			continue
		}
		fmt.Fprintln(bw)
		if err := WriteText(bw, *p.Summary); err != nil {
			return err
		}
	}
	return bw.Flush()
}
