package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// maxRecordBytes bounds the incident record analyze reads next to a pod
// directory.
const maxRecordBytes = 16 << 20

// planOrder is the order of a pod directory's artifacts when no incident
// record says the plan's: snapshots first, then windows, then text.
var planOrder = []string{"heap", "heap-2", "allocs", "cpu", "goroutine", "goroutines", "block", "mutex", "threadcreate", "trace", "memstats"}

// analyzeArgs analyses the command's arguments: one directory is a pod's
// stored artifacts (see analyzeDir), anything else the files named.
func analyzeArgs(args []string, opts report.Options, maxBytes int64) (report.PodReport, []string, []error) {
	if len(args) == 1 {
		if fi, err := os.Stat(args[0]); err == nil && fi.IsDir() {
			return analyzeDir(args[0], opts, maxBytes)
		}
	}
	return analyzeFiles(args, opts, maxBytes)
}

// analyzeDir analyses a directory of one pod's artifacts as the store lays
// them out (incidents/…/<incident>/<namespace>/<pod>/heap.pb.gz, …) with
// the analyser its capture went through. When the incident's record
// (incident.json, two levels up) holds the pod's report, what the capture
// knew and the files cannot say is taken from it: the alert's kind, the
// container's memory bounds and restart record, the plan's order and the
// profiles that failed. The headline is then the capture's.
func analyzeDir(dir string, opts report.Options, maxBytes int64) (report.PodReport, []string, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return report.PodReport{}, nil, []error{err}
	}
	files := make(map[string]string) // artifact name → file
	for _, e := range entries {
		name := artifactName(e.Name())
		if _, err := capture.ProfileFor(name, capture.Settings{}); err != nil || !e.Type().IsRegular() {
			continue // summary.txt, or not an artifact
		}
		files[name] = filepath.Join(dir, e.Name())
	}
	if len(files) == 0 {
		return report.PodReport{}, nil, []error{fmt.Errorf("%s: no artifacts (heap.pb.gz, goroutines.txt, cpu.pb.gz, …)", dir)}
	}
	pr, recorded, err := recordedPod(dir, maxBytes)
	var errs []error
	if err != nil {
		errs = append(errs, err) // analysed without it
	}
	if pr.Target == "" {
		pr.Target = dir
	}
	var names []string
	for _, p := range recorded {
		if _, ok := files[p.Name]; ok || p.Error != "" {
			names = append(names, p.Name)
		}
	}
	for _, n := range planOrder {
		if _, ok := files[n]; ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for n := range files {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	// The profiles that failed in the capture are reported as they were.
	var failed []report.ProfileReport
	var paths []string
	for _, n := range names {
		if path, ok := files[n]; ok {
			paths = append(paths, path)
			continue
		}
		for _, p := range recorded {
			if p.Name == n {
				failed = append(failed, report.ProfileReport{Name: n, Error: p.Error})
			}
		}
	}
	got, paths, ferrs := analyzePod(pr, paths, opts, maxBytes)
	got.Profiles, paths = mergeInOrder(names, got.Profiles, paths, failed)
	got.Flame = storedFlame(dir, entries, names)
	return got, paths, append(errs, ferrs...)
}

// storedFlame is the flame graph the capture stored beside one of the
// pod's profiles (<profile>.flame.png), for the report to point at; nil
// when there is none.
func storedFlame(dir string, entries []os.DirEntry, names []string) *report.FlameGraph {
	for _, e := range entries {
		profile, ok := strings.CutSuffix(e.Name(), ".flame.png")
		if ok && e.Type().IsRegular() && slices.Contains(names, profile) {
			return &report.FlameGraph{Profile: profile, Key: filepath.Join(dir, e.Name())}
		}
	}
	return nil
}

// mergeInOrder puts the analysed profiles (with their files) and the
// failed ones (with none) in the order of names.
func mergeInOrder(names []string, analysed []report.ProfileReport, files []string, failed []report.ProfileReport) ([]report.ProfileReport, []string) {
	out := make([]report.ProfileReport, 0, len(analysed)+len(failed))
	var paths []string
	for _, n := range names {
		for i, p := range analysed {
			if p.Name == n {
				out, paths = append(out, p), append(paths, files[i])
			}
		}
		for _, p := range failed {
			if p.Name == n {
				out, paths = append(out, p), append(paths, "")
			}
		}
	}
	return out, paths
}

// recordedPod is what the incident record next to the pod directory dir
// knew of the pod before its profiles were analysed, and its profiles
// as recorded; a zero report without a record. An unreadable record is
// an error, and the directory is analysed without it.
func recordedPod(dir string, maxBytes int64) (report.PodReport, []report.ProfileReport, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return report.PodReport{}, nil, nil
	}
	path := filepath.Join(abs, "..", "..", "incident.json")
	if _, err := os.Stat(path); err != nil {
		return report.PodReport{}, nil, nil
	}
	data, err := readFileMax(path, min(maxBytes, maxRecordBytes))
	if err != nil {
		return report.PodReport{}, nil, err
	}
	var rec struct {
		Pods []report.PodReport `json:"pods"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return report.PodReport{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	// The pod's keys end in <namespace>/<pod>/<file>, as the directory.
	suffix := "/" + filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs) + "/"
	for _, p := range rec.Pods {
		if !strings.Contains(p.SummaryKey, suffix) && !hasKeyIn(p, suffix) {
			continue
		}
		known := report.PodReport{Target: p.Target, Address: p.Address, Name: p.Name, AlertName: p.AlertName,
			Annotations: p.Annotations, Kind: p.Kind, CapturedAt: p.CapturedAt, Owner: p.Owner,
			Restart: p.Restart, MemoryBounds: p.MemoryBounds}
		return known, p.Profiles, nil
	}
	return report.PodReport{}, nil, nil
}

func hasKeyIn(p report.PodReport, suffix string) bool {
	for _, pr := range p.Profiles {
		if strings.Contains(pr.Key, suffix) {
			return true
		}
	}
	return false
}
