package pprof

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/report/internal/units"
	"github.com/alertprof/alertprof/report/pproftest"
)

// This file holds the oracle: `go tool pprof -top` run on the same profile.
// pprof is asked to print values in the profile's own unit (-unit), which
// makes it print exact integers ("524288B", "10000000ns", "42"), so flat, cum
// and the total are compared exactly, along with names, order, percentages,
// the sample type and the number of dropped nodes.

// compareWithPprof summarizes the profile in file and checks it against
// go tool pprof -top on the same file.
func compareWithPprof(t *testing.T, file, sampleIndex string, n int) {
	t.Helper()
	p := readProfile(t, file)
	got, err := Summarize(p, Options{Top: n, SampleIndex: sampleIndex})
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := SummarizeData(data, 0, Options{Top: n, SampleIndex: sampleIndex})
	if err != nil {
		t.Fatalf("SummarizeData: %v", err)
	}
	top := pproftest.RunTop(t, file, sampleIndex, got.Unit, n)
	cumTop := pproftest.RunTop(t, file, sampleIndex, got.Unit, n, "-cum")
	for _, s := range []struct {
		path string
		sum  Summary
	}{{"parsed", got}, {"streamed", streamed}} {
		t.Run(s.path, func(t *testing.T) {
			compareSummary(t, s.sum, top)
			cum := s.sum
			cum.Rows = s.sum.CumRows
			compareSummary(t, cum, cumTop)
		})
	}
	if !reflect.DeepEqual(streamed, got) {
		t.Errorf("SummarizeData gave\n%+v\nSummarize gave\n%+v", streamed, got)
	}
}

// compareSummary checks got against what pprof printed.
func compareSummary(t *testing.T, got Summary, want pproftest.Top) {
	t.Helper()

	if got.SampleType != want.SampleType {
		t.Errorf("SampleType = %q, pprof says %q", got.SampleType, want.SampleType)
	}
	if got.Total != want.Total {
		t.Errorf("Total = %d, pprof says %d", got.Total, want.Total)
	}
	if got.Dropped != want.Dropped {
		t.Errorf("Dropped = %d, pprof says %d", got.Dropped, want.Dropped)
	}
	if len(got.Rows) != len(want.Rows) {
		t.Errorf("%d rows, pprof has %d", len(got.Rows), len(want.Rows))
	}
	for i := range min(len(got.Rows), len(want.Rows)) {
		g, w := got.Rows[i], want.Rows[i]
		gotPct := fmt.Sprintf("%s %s", units.FormatPercent(g.FlatPct), units.FormatPercent(g.CumPct))
		wantPct := fmt.Sprintf("%s %s", strings.TrimSpace(w.FlatPct), strings.TrimSpace(w.CumPct))
		if g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum || gotPct != wantPct {
			t.Errorf("row %d = {%s flat=%d cum=%d %s}, pprof has {%s flat=%d cum=%d %s} (%q)",
				i, g.Function, g.Flat, g.Cum, gotPct, w.Function, w.Flat, w.Cum, wantPct, w.Line)
		}
	}
	if t.Failed() {
		var b strings.Builder
		_ = WriteText(&b, got)
		t.Logf("Summarize gave:\n%s", b.String())
	}
}

func readFile(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readProfile(t testing.TB, file string) *profile.Profile {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return p
}

// TestOracleFixtures compares Summarize with pprof on the real profiles in
// testdata.
func TestOracleFixtures(t *testing.T) {
	cases := []struct {
		fixture string
		indexes []string
	}{
		{"heap", []string{"", "inuse_space", "alloc_space", "inuse_objects", "alloc_objects"}},
		{"allocs", []string{"", "inuse_space"}},
		{"cpu", []string{"", "samples"}},
		{"goroutine", []string{""}},
		{"block", []string{"", "contentions"}},
		{"mutex", []string{"", "contentions"}},
		{"alertmanager_heap", []string{"", "inuse_objects", "alloc_space"}},
		{"alertmanager_heap2", []string{""}},
		{"alertmanager_goroutine", []string{""}},
		{"culprits/cache/heap", []string{""}},
		{"culprits/reflect/heap", []string{"", "inuse_objects"}},
		{"culprits/readall/heap", []string{""}},
		{"culprits/leak/goroutine", []string{""}},
		{"culprits/slownet/goroutine", []string{""}},
	}
	for _, c := range cases {
		for _, index := range c.indexes {
			for _, n := range []int{5, 10, 100} {
				name := fmt.Sprintf("%s/index=%s/top=%d", c.fixture, index, n)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					compareWithPprof(t, filepath.Join("..", "testdata", c.fixture+".pb.gz"), index, n)
				})
			}
		}
	}
}

// TestOracleDiff compares Diff and DiffData with go tool pprof -base on pairs of real
// heap profiles taken some time apart, and on profiles of different kinds
// of growth, for several sample types.
func TestOracleDiff(t *testing.T) {
	cases := []struct {
		base, cur string
		indexes   []string
	}{
		{"alertmanager_heap", "alertmanager_heap2", []string{"", "inuse_objects", "alloc_space"}},
		{"alertmanager_heap2", "alertmanager_heap", []string{""}},
		{"culprits/cache/heap", "culprits/cache/heap2", []string{"", "alloc_objects"}},
		{"heap", "culprits/reflect/heap", []string{""}},
	}
	for _, c := range cases {
		for _, index := range c.indexes {
			for _, n := range []int{3, 100} {
				t.Run(fmt.Sprintf("%s-%s/index=%s/top=%d", c.base, c.cur, index, n), func(t *testing.T) {
					t.Parallel()
					base := filepath.Join("..", "testdata", c.base+".pb.gz")
					cur := filepath.Join("..", "testdata", c.cur+".pb.gz")
					opts := Options{Top: n, SampleIndex: index}
					parsed, err := Diff(readProfile(t, base), readProfile(t, cur), opts)
					if err != nil {
						t.Fatalf("Diff: %v", err)
					}
					streamed, err := DiffData(readFile(t, base), readFile(t, cur), 0, opts)
					if err != nil {
						t.Fatalf("DiffData: %v", err)
					}
					top := pproftest.RunTop(t, cur, index, parsed.Unit, n, "-base="+base)
					topCum := pproftest.RunTop(t, cur, index, parsed.Unit, n, "-cum", "-base="+base)
					for _, got := range []Summary{parsed, streamed} {
						if !got.Diff {
							t.Error("Diff not set")
						}
						compareSummary(t, got, top)
						cum := got
						cum.Rows = got.CumRows
						compareSummary(t, cum, topCum)
					}
					if !reflect.DeepEqual(streamed, parsed) {
						t.Errorf("DiffData gave\n%s\nDiff gave\n%s", dump([]Summary{streamed}), dump([]Summary{parsed}))
					}
				})
			}
		}
	}
}
