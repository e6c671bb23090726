package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/memory"
	"github.com/alertprof/alertprof/report/pprof"
)

// analysis is what analyze prints for one file in JSON. For a pprof
// profile the main summary's fields are at the top level (file, kind,
// sample_type, unit, total, rows, …) and other telling sample types follow
// in views; for a goroutine dump, goroutines holds the groups; for an
// execution trace, trace holds its summary; for the runtime's memory
// statistics (memstats.txt, heap?debug=1), memory holds their
// reconciliation.
type analysis struct {
	pprof.Summary
	Views []pprof.Summary `json:"views,omitempty"`
	// Window is what time an allocs, block or mutex profile covers.
	Window     string           `json:"window,omitempty"`
	Goroutines *goroutines.Dump `json:"goroutines,omitempty"`
	// GoroutineGrowth is a dump's growth since the --base dump.
	GoroutineGrowth *goroutines.Growth     `json:"goroutine_growth,omitempty"`
	Trace           *exectrace.Summary     `json:"trace,omitempty"`
	Memory          *memory.Reconciliation `json:"memory,omitempty"`
}

// analyzeFlags are the flags of `alertprof analyze`.
type analyzeFlags struct {
	top         int
	format      string
	sampleIndex string
	base        string
	lim         fileLimits
}

func newAnalyzeCommand() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE...",
		Short: "Summarize profiles, goroutine dumps and traces on disk",
		Long: `Summarize pprof profiles, goroutine dumps, heap profiles in text, runtime
memory statistics and execution traces on disk, with the analyser a capture
goes through. The files of one command are taken as one pod's, named by
their base names as a capture names them (heap.pb.gz, heap-2.pb.gz,
goroutine.txt, ...), so a capture directory gives the pod report its job
gave. One file is printed on its own; several as the pod's report. JSON
output is one object per file, one per line.`,
		Example: `  alertprof analyze heap.pb.gz
  alertprof analyze ./alertprof-data/INCIDENT/shop/checkout-1/*
  alertprof analyze heap-2.pb.gz --base heap.pb.gz --format json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("name at least one profile file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(runAnalyze(f, args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&f.top, "top", 10, "rows per table")
	fs.StringVar(&f.format, "format", "text", "output format: text or json")
	fs.StringVar(&f.sampleIndex, "sample-index", "", "sample type to report (default: every telling one, the profile's default first)")
	fs.StringVar(&f.base, "base", "", "report growth since this profile, as go tool pprof -base, or since this goroutine dump (debug=2), group by group")
	fs.Int64Var(&f.lim.maxBytes, "max-bytes", 1<<30, "largest file read")
	fs.Int64Var(&f.lim.maxDecoded, "max-decoded-bytes", format.DefaultMaxDecoded, "largest pprof profile once decompressed")
	fs.Int64Var(&f.lim.text.MaxBytes, "max-text-bytes", format.DefaultMaxText, "largest goroutine dump or heap profile in text, decompressed")
	fs.Int64Var(&f.lim.text.MaxLines, "max-text-lines", format.DefaultMaxLines, "most lines of a goroutine dump or heap profile in text")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("text", "json"))
	_ = cmd.MarkFlagFilename("base")
	return cmd
}

// runAnalyze analyses the files and prints their report; see
// newAnalyzeCommand.
func runAnalyze(f analyzeFlags, files []string, stdout, stderr io.Writer) int {
	lim := f.lim
	if f.format != "text" && f.format != "json" {
		fmt.Fprintf(stderr, "alertprof analyze: --format %q is not text or json\n", f.format)
		return 2
	}
	if f.top < 1 {
		fmt.Fprintln(stderr, "alertprof analyze: --top must be at least 1")
		return 2
	}
	opts := report.Options{Top: f.top, SampleIndex: f.sampleIndex, MaxDecoded: lim.maxDecoded, Text: lim.text}
	if f.base != "" {
		data, err := readFileMax(f.base, lim.maxBytes)
		if err != nil {
			fmt.Fprintln(stderr, "alertprof analyze:", err)
			return 1
		}
		if format.Detect(data) == format.Goroutines {
			opts.BaseGoroutines, err = parseDump(data, lim.text)
		} else {
			// Checked here, without decoding it whole: each diff streams it.
			_, err = format.CheckProfile(data, lim.maxDecoded)
			opts.BaseData = data
		}
		if err != nil {
			fmt.Fprintf(stderr, "alertprof analyze: %s: not a pprof profile or goroutine dump: %v\n", f.base, err)
			return 1
		}
	}
	pr, paths, errs := analyzeArgs(files, opts, lim.maxBytes)
	status := 0
	for _, err := range errs {
		fmt.Fprintln(stderr, "alertprof analyze:", err)
		status = 1
	}
	out := bufio.NewWriter(stdout)
	if err := writeAnalyses(out, pr, paths, f.format, f.top); err != nil {
		fmt.Fprintln(stderr, "alertprof analyze:", err)
		return 1
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(stderr, "alertprof analyze:", err)
		return 1
	}
	return status
}

// analyzeFiles reads the files and builds their pod report. paths holds
// the file of each profile of the report; a file that cannot be read or
// analysed is left out of them, with an error naming it.
func analyzeFiles(files []string, opts report.Options, maxBytes int64) (report.PodReport, []string, []error) {
	return analyzePod(report.PodReport{Target: podTarget(files)}, files, opts, maxBytes)
}

// analyzePod is analyzeFiles with what is known of the pod beyond its
// files (kind, memory bounds, restart record) in pr.
func analyzePod(pr report.PodReport, files []string, opts report.Options, maxBytes int64) (_ report.PodReport, paths []string, errs []error) {
	var arts []report.Artifact
	for _, path := range files {
		data, err := readFileMax(path, maxBytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		name := artifactName(path)
		pr.Profiles = append(pr.Profiles, report.ProfileReport{Name: name, Link: path, Bytes: len(data)})
		paths = append(paths, path)
		arts = append(arts, report.Artifact{Name: name, Data: data})
	}
	failed := make(map[int]bool)
	for _, err := range report.Analyze(context.Background(), &pr, arts, opts) {
		if pe, ok := errors.AsType[*report.ProfileError](err); ok {
			if i := failedProfile(pr, pe.Profile, failed); i >= 0 {
				failed[i] = true
				errs = append(errs, fmt.Errorf("%s: %w", paths[i], pe.Err))
				continue
			}
		}
		errs = append(errs, err)
	}
	if len(failed) > 0 {
		var keep []report.ProfileReport
		var keptPaths []string
		for i, p := range pr.Profiles {
			if !failed[i] {
				keep, keptPaths = append(keep, p), append(keptPaths, paths[i])
			}
		}
		pr.Profiles, paths = keep, keptPaths
	}
	return pr, paths, errs
}

// failedProfile is the index of the first profile named name that has an
// error and is not yet in failed, or -1.
func failedProfile(pr report.PodReport, name string, failed map[int]bool) int {
	for i, p := range pr.Profiles {
		if p.Name == name && p.Error != "" && !failed[i] {
			return i
		}
	}
	return -1
}

// artifactName is the profile name a capture gives the file: its base
// name up to the first dot ("heap-2" for heap-2.pb.gz).
func artifactName(path string) string {
	name, _, _ := strings.Cut(filepath.Base(path), ".")
	return name
}

// podTarget names the pod of the files: their directory when they share
// one.
func podTarget(files []string) string {
	dir := filepath.Dir(files[0])
	for _, f := range files[1:] {
		if filepath.Dir(f) != dir {
			return "files"
		}
	}
	return dir
}

// writeAnalyses prints the analysed files: as JSON, one object per file;
// as text, one file on its own or several as the pod's report.
func writeAnalyses(w io.Writer, pr report.PodReport, paths []string, outFormat string, top int) error {
	if outFormat == "json" {
		enc := json.NewEncoder(w)
		for i, p := range pr.Profiles {
			if paths[i] == "" {
				continue // failed in the capture: no file
			}
			if err := enc.Encode(analysisOf(pr, p, paths[i])); err != nil {
				return err
			}
		}
		return nil
	}
	if len(pr.Profiles) > 1 {
		return report.WritePod(w, pr)
	}
	for i, p := range pr.Profiles {
		fmt.Fprintf(w, "%s\n", paths[i])
		if p.MemStats != nil {
			memory.Write(w, pr.Memory)
			continue
		}
		if err := report.WriteProfile(w, p, top); err != nil {
			return err
		}
	}
	return nil
}

// analysisOf is the JSON object of one file.
func analysisOf(pr report.PodReport, p report.ProfileReport, path string) analysis {
	empty := pprof.Summary{File: path, Rows: []pprof.Row{}, CumRows: []pprof.Row{}}
	switch {
	case p.Summary != nil:
		a := analysis{Summary: *p.Summary, Views: p.Views, Window: p.Window}
		a.File = path
		for i := range a.Views {
			a.Views[i].File = path
		}
		return a
	case p.Goroutines != nil:
		s := empty
		s.Kind, s.SampleType, s.Unit, s.Total = "goroutine", "goroutine", "count", int64(p.Goroutines.Total)
		return analysis{Summary: s, Goroutines: p.Goroutines, GoroutineGrowth: p.GoroutineGrowth}
	case p.Trace != nil:
		s := empty
		s.Kind, s.SampleType, s.Unit, s.Total = "trace", "goroutine time", "nanoseconds", int64(p.Trace.Total)
		return analysis{Summary: s, Trace: p.Trace}
	case p.MemStats != nil:
		s := empty
		s.Kind = "memstats"
		return analysis{Summary: s, Memory: pr.Memory}
	}
	return analysis{Summary: empty}
}

// parseDump parses a goroutine dump (plain or gzipped) within lim.
func parseDump(data []byte, lim format.TextLimits) (*goroutines.Dump, error) {
	r, err := format.TextReaderMax(data, lim)
	if err != nil {
		return nil, err
	}
	return goroutines.Parse(r)
}
