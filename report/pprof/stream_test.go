package pprof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// TestStreamMatchesParsedFixtures checks that AnalyzeData and SummarizeData
// on a fixture's bytes give exactly what Analyze and Summarize give on the
// parsed profile, headlines and views included.
func TestStreamMatchesParsedFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.pb.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "culprits", "*", "*.pb.gz"))
	for _, file := range append(files, more...) {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p := readProfile(t, file)
			for _, opts := range []Options{{Top: 5}, {Top: 100}, {Top: 3, SampleIndex: "0"}} {
				compareStreamed(t, data, p, opts)
			}
		})
	}
}

// TestStreamSmallerCap checks that a cap below the decoded size fails with
// format.ErrTooLarge.
func TestStreamSmallerCap(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "heap.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AnalyzeData(data, 1024, Options{}); !errors.Is(err, format.ErrTooLarge) {
		t.Errorf("AnalyzeData under a 1 KiB cap: %v, want ErrTooLarge", err)
	}
	if _, err := AnalyzeData(data, 0, Options{}); err != nil {
		t.Errorf("AnalyzeData: %v", err)
	}
}

// compareStreamed fails the test unless the streaming path on data gives
// what the parsed path gives on p.
func compareStreamed(t *testing.T, data []byte, p *profile.Profile, opts Options) {
	t.Helper()
	want, wantErr := Analyze(p, opts)
	got, err := AnalyzeData(data, 0, opts)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("opts %+v: AnalyzeData error %v, Analyze error %v", opts, err, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("opts %+v: AnalyzeData gave\n%s\nAnalyze gave\n%s", opts, dump(got), dump(want))
	}
	wantSum, wantErr := Summarize(p, opts)
	gotSum, err := SummarizeData(data, 0, opts)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("opts %+v: SummarizeData error %v, Summarize error %v", opts, err, wantErr)
	}
	if !reflect.DeepEqual(gotSum, wantSum) {
		t.Fatalf("opts %+v: SummarizeData gave\n%s\nSummarize gave\n%s", opts, dump([]Summary{gotSum}), dump([]Summary{wantSum}))
	}
}

func dump(sums []Summary) string {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%+v\n", s)
		if s.Headline != nil {
			fmt.Fprintf(&b, "headline %+v\n", *s.Headline)
		}
	}
	return b.String()
}

// FuzzStreamMatchesParsed builds a valid profile from the fuzzer's bytes
// with google/pprof's profile package, writes it (gzipped or not) and
// checks that the streaming path summarizes it exactly as the parsed path
// does. The raw bytes are also read as a profile: whatever the wire
// reader accepts, profile.ParseData must accept too.
func FuzzStreamMatchesParsed(f *testing.F) {
	f.Add([]byte("seed"), 5, false)
	f.Add(bytes.Repeat([]byte{7, 200, 3, 41, 0, 255, 16}, 40), 3, true)
	for _, c := range synthCases {
		var raw bytes.Buffer
		if err := c.profile().WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		f.Add(raw.Bytes(), 10, false)
	}
	f.Fuzz(func(t *testing.T, in []byte, top int, gz bool) {
		if _, err := pprofwire.Check(in, format.DefaultMaxDecoded); err == nil {
			if _, ok := parse(in); !ok {
				t.Fatalf("the wire reader accepts bytes profile.ParseData rejects")
			}
		}
		p := genProfile(&fuzzBytes{b: in})
		var buf bytes.Buffer
		write := p.WriteUncompressed
		if gz {
			write = p.Write
		}
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		parsed, err := profile.ParseData(buf.Bytes())
		if err != nil {
			t.Fatalf("parse the written profile: %v", err)
		}
		for _, idx := range []string{"", "1"} {
			compareStreamed(t, buf.Bytes(), parsed, Options{Top: top % 50, SampleIndex: idx})
		}
	})
}

// fuzzBytes hands out the fuzzer's bytes as small numbers, zeros once
// they run out.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) n(k int) int {
	if len(f.b) == 0 {
		return 0
	}
	v := int(f.b[0])
	f.b = f.b[1:]
	return v % k
}

// genProfile builds a valid profile: sample types of the runtime's kinds,
// mappings with files, URLs and build IDs, functions with repeated, empty,
// runtime, standard-library and user names, inlined frames, frames to
// drop, labels (pprof::base among them) and values of either sign.
func genProfile(fb *fuzzBytes) *profile.Profile {
	typeSets := [][]string{{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"},
		{"samples", "cpu"}, {"goroutine"}, {"contentions", "delay"}, {"x", "y"}}
	types := typeSets[fb.n(len(typeSets))]
	p := &profile.Profile{DurationNanos: int64(fb.n(4)) * 1e9}
	for _, ty := range types {
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: ty, Unit: []string{"count", "bytes", "nanoseconds"}[fb.n(3)]})
	}
	if fb.n(2) == 0 {
		p.DefaultSampleType = types[fb.n(len(types))]
	}
	if fb.n(2) == 0 {
		p.PeriodType = &profile.ValueType{Type: []string{"space", "cpu", "goroutine", "contentions"}[fb.n(4)], Unit: "count"}
		p.Period = int64(fb.n(100))
	}
	switch fb.n(4) {
	case 0:
		p.DropFrames = `runtime\..*|sync\.\(\*Mutex\)\.Unlock`
	case 1:
		p.DropFrames, p.KeepFrames = `runtime\..*`, `runtime\.keep`
	}
	files := []string{"/bin/app", "", "http://host/bin", "/lib/libc.so.6"}
	for i := range 1 + fb.n(3) {
		m := &profile.Mapping{ID: uint64(i + 1), File: files[fb.n(len(files))]}
		if fb.n(3) == 0 {
			m.BuildID = "abc"
		}
		p.Mapping = append(p.Mapping, m)
	}
	names := []string{"main.main", "main.(*T).f", "runtime.mallocgc", "runtime.keep", "sync.(*Mutex).Unlock",
		"encoding/json.Marshal", "github.com/a/b.Do", "", "reflect.New", "main.main", "runtime.goexit"}
	for i := range 1 + fb.n(12) {
		p.Function = append(p.Function, &profile.Function{ID: uint64(i + 1), Name: names[fb.n(len(names))], StartLine: int64(fb.n(3))})
	}
	for i := range 1 + fb.n(20) {
		l := &profile.Location{ID: uint64(i*(1+fb.n(3)) + 1)}
		if fb.n(4) != 0 {
			l.Mapping = p.Mapping[fb.n(len(p.Mapping))]
		}
		for range fb.n(4) {
			l.Line = append(l.Line, profile.Line{Function: p.Function[fb.n(len(p.Function))], Line: int64(fb.n(50))})
		}
		if len(p.Location) > 0 && p.Location[len(p.Location)-1].ID >= l.ID {
			l.ID = p.Location[len(p.Location)-1].ID + 1
		}
		p.Location = append(p.Location, l)
	}
	for range fb.n(40) {
		s := &profile.Sample{}
		for range types {
			s.Value = append(s.Value, int64(fb.n(9)-2)*int64(1+fb.n(1000)))
		}
		for range fb.n(9) {
			s.Location = append(s.Location, p.Location[fb.n(len(p.Location))])
		}
		switch fb.n(5) {
		case 0:
			s.Label = map[string][]string{"pprof::base": {"true"}}
		case 1:
			s.Label = map[string][]string{"span": {"a", "b"}}
			s.NumLabel = map[string][]int64{"bytes": {int64(fb.n(100))}}
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// TestStreamFallsBackToPprofsParser gives the streaming path a legacy text
// heap profile, which is no protocol buffer but which profile.ParseData
// reads: the summary is the parsed path's.
func TestStreamFallsBackToPprofsParser(t *testing.T) {
	legacy := []byte(`heap profile: 3: 3072 [5: 5120] @ heap/1048576
2: 2048 [3: 3072] @ 0x401000 0x402000
1: 1024 [2: 2048] @ 0x401000 0x403000
`)
	p, err := profile.ParseData(legacy)
	if err != nil {
		t.Fatalf("ParseData: %v", err)
	}
	if _, err := pprofwire.Read(legacy, format.DefaultMaxDecoded); !errors.Is(err, pprofwire.ErrWire) {
		t.Fatalf("the wire reader says %v, want ErrWire", err)
	}
	compareStreamed(t, legacy, p, Options{Top: 5})
}
