// Package pproftest runs go tool pprof as an oracle for tests: alertprof's
// numbers must agree with pprof -top on the same file. pprof is asked to
// print values in the profile's own unit (-unit), which makes it print exact
// integers ("524288B", "10000000ns", "42"), so values compare exactly.
package pproftest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Top is what pprof -top printed.
type Top struct {
	SampleType string
	Total      int64
	Dropped    int
	Rows       []Row
}

// Row is one line of the table, values unscaled.
type Row struct {
	Function        string
	Flat, Cum       int64
	FlatPct, CumPct string
	Inline, Line    string // inline label and the whole line, for messages
}

var (
	typeRx    = regexp.MustCompile(`^Type: (\S+)$`)
	totalRx   = regexp.MustCompile(`^Showing nodes accounting for .* of (\S+) total$`)
	droppedRx = regexp.MustCompile(`^Dropped (\d+) nodes? \(cum <= .*\)$`)
	headerRx  = regexp.MustCompile(`^\s*flat\s+flat%\s+sum%\s+cum\s+cum%$`)
	rowRx     = regexp.MustCompile(`^\s*(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)  (.*?)( \((?:partial-)?inline\))?$`)
	numberRx  = regexp.MustCompile(`^(-?\d+)[^\d.]*$`)
)

// command returns the command line prefix that runs go tool pprof.
// Every `go tool pprof` spends half a second finding the tool, so the
// binary that `go tool -n pprof` names is run directly when it can be.
var command = sync.OnceValue(func() []string {
	out, err := exec.Command("go", "tool", "-n", "pprof").Output()
	if path := strings.TrimSpace(string(out)); err == nil && path != "" {
		if _, err := os.Stat(path); err == nil {
			return []string{path}
		}
	}
	return []string{"go", "tool", "pprof"}
})

// RunTop runs go tool pprof -top -symbolize=none on file, printing
// values unscaled in unit, and parses its output. Extra flags, such as
// "-cum" or "-base=FILE", go before the file.
func RunTop(t testing.TB, file, sampleIndex, unit string, n int, extra ...string) Top {
	t.Helper()
	args := append(slices.Clone(command()), "-top", "-symbolize=none",
		"-nodecount="+strconv.Itoa(n), "-unit="+unit)
	args = append(args, extra...)
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
	return Parse(t, string(out))
}

// Parse reads the output of pprof -top.
func Parse(t testing.TB, out string) Top {
	t.Helper()
	var top Top
	inTable := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if inTable {
			m := rowRx.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("unparsable pprof row %q in:\n%s", line, out)
			}
			top.Rows = append(top.Rows, Row{
				Function: m[5],
				Flat:     parseNumber(t, m[1]),
				FlatPct:  m[2],
				Cum:      parseNumber(t, m[3]),
				CumPct:   m[4],
				Inline:   strings.TrimSpace(m[6]),
				Line:     line,
			})
			continue
		}
		switch {
		case typeRx.MatchString(line):
			top.SampleType = typeRx.FindStringSubmatch(line)[1]
		case totalRx.MatchString(line):
			top.Total = parseNumber(t, totalRx.FindStringSubmatch(line)[1])
		case droppedRx.MatchString(line):
			top.Dropped, _ = strconv.Atoi(droppedRx.FindStringSubmatch(line)[1])
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
func parseNumber(t testing.TB, s string) int64 {
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
