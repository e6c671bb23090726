package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// This file holds the oracle: `go tool pprof -top` run on the same profile.
// pprof is asked to print values in the profile's own unit (-unit), which
// makes it print exact integers ("524288B", "10000000ns", "42"), so flat, cum
// and the total are compared exactly, along with names, order, percentages,
// the sample type and the number of dropped nodes.

// pprofTop is what the oracle reports.
type pprofTop struct {
	sampleType string
	total      int64
	dropped    int
	rows       []pprofRow
}

type pprofRow struct {
	function         string
	flat, cum        int64
	flatPct, cumPct  string
	inline, original string // inline label and the whole line, for messages
}

var (
	typeRx    = regexp.MustCompile(`^Type: (\S+)$`)
	totalRx   = regexp.MustCompile(`^Showing nodes accounting for .* of (\S+) total$`)
	droppedRx = regexp.MustCompile(`^Dropped (\d+) nodes? \(cum <= .*\)$`)
	headerRx  = regexp.MustCompile(`^\s*flat\s+flat%\s+sum%\s+cum\s+cum%$`)
	rowRx     = regexp.MustCompile(`^\s*(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)  (.*?)( \((?:partial-)?inline\))?$`)
	numberRx  = regexp.MustCompile(`^(-?\d+)[^\d.]*$`)
)

// pprofCommand returns the command line prefix that runs go tool pprof.
// Every `go tool pprof` spends half a second finding the tool, so the
// binary that `go tool -n pprof` names is run directly when it can be.
var pprofCommand = sync.OnceValue(func() []string {
	out, err := exec.Command("go", "tool", "-n", "pprof").Output()
	if path := strings.TrimSpace(string(out)); err == nil && path != "" {
		if _, err := os.Stat(path); err == nil {
			return []string{path}
		}
	}
	return []string{"go", "tool", "pprof"}
})

// runPprofTop runs go tool pprof -top on file and parses its output.
func runPprofTop(t *testing.T, file, sampleIndex, unit string, n int) pprofTop {
	t.Helper()
	args := append(slices.Clone(pprofCommand()), "-top", "-symbolize=none",
		"-nodecount="+strconv.Itoa(n), "-unit="+unit)
	if sampleIndex != "" {
		args = append(args, "-sample_index="+sampleIndex)
	}
	cmd := exec.Command(args[0], append(args[1:], file)...)
	// Keep pprof from finding local binaries that would rename mappings.
	cmd.Env = append(os.Environ(), "PPROF_BINARY_PATH="+t.TempDir(), "PPROF_TMPDIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
	}
	return parsePprofTop(t, string(out))
}

func parsePprofTop(t *testing.T, out string) pprofTop {
	t.Helper()
	var top pprofTop
	inTable := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if inTable {
			m := rowRx.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("unparsable pprof row %q in:\n%s", line, out)
			}
			top.rows = append(top.rows, pprofRow{
				function: m[5],
				flat:     parseNumber(t, m[1]),
				flatPct:  m[2],
				cum:      parseNumber(t, m[3]),
				cumPct:   m[4],
				inline:   strings.TrimSpace(m[6]),
				original: line,
			})
			continue
		}
		switch {
		case typeRx.MatchString(line):
			top.sampleType = typeRx.FindStringSubmatch(line)[1]
		case totalRx.MatchString(line):
			top.total = parseNumber(t, totalRx.FindStringSubmatch(line)[1])
		case droppedRx.MatchString(line):
			top.dropped, _ = strconv.Atoi(droppedRx.FindStringSubmatch(line)[1])
		case headerRx.MatchString(line):
			inTable = true
		}
	}
	if !inTable {
		t.Fatalf("no table in pprof output:\n%s", out)
	}
	return top
}

// parseNumber parses an unscaled pprof value such as "524288B" or "42".
func parseNumber(t *testing.T, s string) int64 {
	t.Helper()
	m := numberRx.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("value %q is not an unscaled integer", s)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// compareWithPprof summarizes the profile in file and checks it against
// go tool pprof -top on the same file.
func compareWithPprof(t *testing.T, file, sampleIndex string, n int) {
	t.Helper()
	p := readProfile(t, file)
	got, err := Summarize(p, Options{Top: n, SampleIndex: sampleIndex})
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	want := runPprofTop(t, file, sampleIndex, got.Unit, n)

	if got.SampleType != want.sampleType {
		t.Errorf("SampleType = %q, pprof says %q", got.SampleType, want.sampleType)
	}
	if got.Total != want.total {
		t.Errorf("Total = %d, pprof says %d", got.Total, want.total)
	}
	if got.Dropped != want.dropped {
		t.Errorf("Dropped = %d, pprof says %d", got.Dropped, want.dropped)
	}
	if len(got.Rows) != len(want.rows) {
		t.Errorf("%d rows, pprof has %d", len(got.Rows), len(want.rows))
	}
	for i := range min(len(got.Rows), len(want.rows)) {
		g, w := got.Rows[i], want.rows[i]
		gotPct := fmt.Sprintf("%s %s", formatPercent(g.FlatPct), formatPercent(g.CumPct))
		wantPct := fmt.Sprintf("%s %s", strings.TrimSpace(w.flatPct), strings.TrimSpace(w.cumPct))
		if g.Function != w.function || g.Flat != w.flat || g.Cum != w.cum || gotPct != wantPct {
			t.Errorf("row %d = {%s flat=%d cum=%d %s}, pprof has {%s flat=%d cum=%d %s} (%q)",
				i, g.Function, g.Flat, g.Cum, gotPct, w.function, w.flat, w.cum, wantPct, w.original)
		}
	}
	if t.Failed() {
		var b strings.Builder
		_ = WriteText(&b, got)
		t.Logf("Summarize gave:\n%s", b.String())
	}
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
	if testing.Short() {
		t.Skip("runs go tool pprof")
	}
	cases := []struct {
		fixture string
		indexes []string
	}{
		{"heap", []string{"", "inuse_space", "alloc_space", "inuse_objects", "alloc_objects"}},
		{"allocs", []string{"", "inuse_space"}},
		{"cpu", []string{"", "samples"}},
		{"goroutine", []string{""}},
		{"block", []string{"", "contentions"}},
		{"mutex", []string{""}},
	}
	for _, c := range cases {
		for _, index := range c.indexes {
			for _, n := range []int{5, 10, 100} {
				name := fmt.Sprintf("%s/index=%s/top=%d", c.fixture, index, n)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					compareWithPprof(t, filepath.Join("testdata", c.fixture+".pb.gz"), index, n)
				})
			}
		}
	}
}
