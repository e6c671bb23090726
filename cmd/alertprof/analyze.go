package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/report"
)

// runAnalyze summarizes profiles on disk, the same way a capture is
// summarized. JSON output is one object per file, one per line.
func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	top := fs.Int("top", 10, "rows per table")
	format := fs.String("format", "text", "output format: text or json")
	sampleIndex := fs.String("sample-index", "", "sample type to report (default: the profile's default, as pprof)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "alertprof analyze: --format %q is not text or json\n", *format)
		return 2
	}
	if *top < 1 {
		fmt.Fprintln(stderr, "alertprof analyze: --top must be at least 1")
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "alertprof analyze: name at least one profile file")
		return 2
	}
	status := 0
	enc := json.NewEncoder(stdout)
	for i, path := range fs.Args() {
		sum, err := analyzeFile(path, report.Options{Top: *top, SampleIndex: *sampleIndex})
		if err != nil {
			fmt.Fprintln(stderr, "alertprof analyze:", err)
			status = 1
			continue
		}
		if *format == "json" {
			if err := enc.Encode(sum); err != nil {
				fmt.Fprintln(stderr, "alertprof analyze:", err)
				return 1
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s\n", path)
		if err := report.WriteText(stdout, sum); err != nil {
			fmt.Fprintln(stderr, "alertprof analyze:", err)
			return 1
		}
	}
	return status
}

func analyzeFile(path string, opts report.Options) (report.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return report.Summary{}, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return report.Summary{}, fmt.Errorf("%s: not a pprof profile: %w", path, err)
	}
	sum, err := report.Summarize(p, opts)
	if err != nil {
		return report.Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	sum.File = path
	return sum, nil
}
