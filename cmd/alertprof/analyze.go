package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/alertprof/alertprof/report"
)

// analysis is what analyze prints for one file. For a pprof profile the
// main summary's fields are at the top level (file, kind, sample_type,
// unit, total, rows, …) and other telling sample types follow in views; for
// a goroutine dump, goroutines holds the groups; for an execution trace,
// trace holds its summary; for the runtime's memory statistics
// (memstats.txt, heap?debug=1), memory holds their reconciliation.
type analysis struct {
	report.Summary
	Views      []report.Summary             `json:"views,omitempty"`
	Goroutines *report.Goroutines           `json:"goroutines,omitempty"`
	Trace      *report.TraceSummary         `json:"trace,omitempty"`
	Memory     *report.MemoryReconciliation `json:"memory,omitempty"`
}

// runAnalyze summarizes profiles and goroutine dumps on disk, the same way
// a capture is summarized. JSON output is one object per file, one per line.
func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	top := fs.Int("top", 10, "rows per table")
	format := fs.String("format", "text", "output format: text or json")
	sampleIndex := fs.String("sample-index", "", "sample type to report (default: every telling one, the profile's default first)")
	base := fs.String("base", "", "report growth since this profile, as go tool pprof -base")
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
	opts := report.Options{Top: *top, SampleIndex: *sampleIndex}
	status := 0
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for i, path := range fs.Args() {
		a, err := analyzeFile(path, *base, opts)
		if err != nil {
			fmt.Fprintln(stderr, "alertprof analyze:", err)
			status = 1
			continue
		}
		if *format == "json" {
			if err := enc.Encode(a); err != nil {
				fmt.Fprintln(stderr, "alertprof analyze:", err)
				return 1
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := writeAnalysis(out, path, a, *top); err != nil {
			fmt.Fprintln(stderr, "alertprof analyze:", err)
			return 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(stderr, "alertprof analyze:", err)
		return 1
	}
	return status
}

func writeAnalysis(w io.Writer, path string, a analysis, top int) error {
	fmt.Fprintf(w, "%s\n", path)
	if a.Trace != nil {
		return report.WriteTrace(w, a.Trace)
	}
	if a.Goroutines != nil {
		return report.WriteGoroutines(w, a.Goroutines, top)
	}
	if a.Memory != nil {
		report.WriteMemory(w, a.Memory)
		return nil
	}
	if err := report.WriteSummary(w, a.Summary); err != nil {
		return err
	}
	for _, v := range a.Views {
		fmt.Fprintln(w)
		if err := report.WriteSummary(w, v); err != nil {
			return err
		}
	}
	return nil
}

// analyzeFile reads a pprof profile, a goroutine dump (plain or gzipped) or
// an execution trace and analyzes it; with base set, it reports the growth
// since base.
func analyzeFile(path, base string, opts report.Options) (analysis, error) {
	if a, ok, err := analyzeTrace(path, opts); ok || err != nil {
		return a, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return analysis{}, err
	}
	if dump, ok := goroutineDump(data); ok {
		g, err := report.ParseGoroutines(dump)
		if err != nil {
			return analysis{}, fmt.Errorf("%s: %w", path, err)
		}
		return analysis{Summary: report.Summary{
			File: path, Kind: "goroutine", SampleType: "goroutine", Unit: "count",
			Total: int64(g.Total), Rows: []report.Row{}, CumRows: []report.Row{},
		}, Goroutines: g}, nil
	}
	if bytes.HasPrefix(data, []byte("heap profile: ")) {
		// The heap profile as text (memstats.txt): its records name
		// addresses only, but it ends with the runtime's MemStats.
		ms, err := report.ParseMemStats(bytes.NewReader(data))
		if err != nil {
			return analysis{}, fmt.Errorf("%s: %w", path, err)
		}
		return analysis{Summary: report.Summary{File: path, Kind: "memstats", Rows: []report.Row{}, CumRows: []report.Row{}},
			Memory: report.Reconcile(*ms, nil, nil)}, nil
	}
	p, err := report.ParseProfile(data)
	if err != nil {
		return analysis{}, fmt.Errorf("%s: not a pprof profile or goroutine dump: %w", path, err)
	}
	if base != "" {
		bdata, err := os.ReadFile(base)
		if err != nil {
			return analysis{}, err
		}
		bp, err := report.ParseProfile(bdata)
		if err != nil {
			return analysis{}, fmt.Errorf("%s: not a pprof profile: %w", base, err)
		}
		sum, err := report.Diff(bp, p, opts)
		if err != nil {
			return analysis{}, fmt.Errorf("%s: %w", path, err)
		}
		sum.File = path
		return analysis{Summary: sum}, nil
	}
	sums, err := report.Analyze(p, opts)
	if err != nil {
		return analysis{}, fmt.Errorf("%s: %w", path, err)
	}
	for i := range sums {
		sums[i].File = path
	}
	return analysis{Summary: sums[0], Views: sums[1:]}, nil
}

// goroutineDump returns a reader of data's text if data is a goroutine
// dump, gzipped or not.
func goroutineDump(data []byte) (io.Reader, bool) {
	if report.IsGoroutineDump(data) {
		return bytes.NewReader(data), true
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return nil, false
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(zr, head)
	if !report.IsGoroutineDump(head[:n]) {
		return nil, false
	}
	zr, err = gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	return zr, true
}

// analyzeTrace summarizes path if it is an execution trace, streaming it
// from disk; ok is false when it is not one.
func analyzeTrace(path string, opts report.Options) (a analysis, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return analysis{}, false, err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	if !report.LooksLikeTrace(head[:n]) {
		return analysis{}, false, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return analysis{}, true, fmt.Errorf("%s: %w", path, err)
	}
	t, err := report.SummarizeTrace(bufio.NewReaderSize(f, 1<<16), report.TraceOptions{Top: opts.Top})
	if err != nil {
		return analysis{}, true, fmt.Errorf("%s: %w", path, err)
	}
	return analysis{Summary: report.Summary{
		File: path, Kind: "trace", SampleType: "goroutine time", Unit: "nanoseconds",
		Total: int64(t.Total), Rows: []report.Row{}, CumRows: []report.Row{},
	}, Trace: t}, true, nil
}
