package pprof

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"
)

// FuzzSummarize feeds arbitrary bytes to the pprof parser and, whenever they
// parse, checks that Summarize and WriteText neither panic nor return more
// rows than asked for.
func FuzzSummarize(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.pb.gz"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures in testdata: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 5)
		// Uncompressed seeds let the fuzzer mutate the protobuf itself.
		p, err := profile.ParseData(data)
		if err != nil {
			f.Fatal(err)
		}
		var raw bytes.Buffer
		if err := p.WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		f.Add(raw.Bytes(), 10)
	}
	for _, c := range synthCases {
		var raw bytes.Buffer
		if err := c.profile().WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		f.Add(raw.Bytes(), 3)
	}

	f.Fuzz(func(t *testing.T, data []byte, top int) {
		p, ok := parse(data)
		if !ok {
			return
		}
		s, err := Summarize(p, Options{Top: top})
		if err != nil {
			return
		}
		limit := top
		if limit <= 0 {
			limit = DefaultTop
		}
		if s.Rows == nil || len(s.Rows) > limit {
			t.Errorf("Top %d gave %d rows (nil: %t)", top, len(s.Rows), s.Rows == nil)
		}
		if err := WriteText(io.Discard, s); err != nil {
			t.Errorf("WriteText: %v", err)
		}
	})
}

// parse parses data as a profile. Panics inside the pprof parser itself are
// not Summarize's to answer for, so they count as parse failures.
func parse(data []byte) (p *profile.Profile, ok bool) {
	defer func() {
		if recover() != nil {
			p, ok = nil, false
		}
	}()
	p, err := profile.ParseData(data)
	return p, err == nil
}

// BenchmarkSummarize summarizes the largest fixture.
func BenchmarkSummarize(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.pb.gz"))
	if err != nil {
		b.Fatal(err)
	}
	var largest string
	var size int64
	for _, file := range files {
		if st, err := os.Stat(file); err == nil && st.Size() > size {
			largest, size = file, st.Size()
		}
	}
	p := readProfile(b, largest)
	b.Logf("%s: %d samples, %d locations", largest, len(p.Sample), len(p.Location))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Summarize(p, Options{Top: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
