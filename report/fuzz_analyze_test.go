package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAnalyze feeds arbitrary bytes through everything a capture goes
// through: parsing, Analyze, Diff against itself, the text and Slack
// renderers. Nothing may panic, and the Slack limits must hold.
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pb.gz"))
	more, _ := filepath.Glob(filepath.Join("testdata", "culprits", "*", "*.pb.gz"))
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if p, err := ParseProfile(data); err == nil {
			var raw bytes.Buffer
			if err := p.WriteUncompressed(&raw); err == nil {
				f.Add(raw.Bytes())
			}
		}
	}
	f.Add([]byte(sampleDump))
	f.Fuzz(func(t *testing.T, data []byte) {
		if IsGoroutineDump(data) {
			return // FuzzParseGoroutines covers dumps
		}
		p, err := ParseProfile(data)
		if err != nil {
			return
		}
		sums, err := Analyze(p, Options{Top: 5})
		if err != nil {
			return
		}
		if d, err := Diff(p, p, Options{Top: 5}); err == nil {
			sums = append(sums, d)
		}
		for _, s := range sums {
			if len(s.Rows) > 5 || len(s.CumRows) > 5 {
				t.Errorf("%d rows, %d cum rows for top 5", len(s.Rows), len(s.CumRows))
			}
			if err := WriteSummary(io.Discard, s); err != nil {
				t.Errorf("WriteSummary: %v", err)
			}
		}
		checkBlocks(t, Blocks(sums, nil, 0))
	})
}

// FuzzParseGoroutines feeds arbitrary text to the goroutine dump parser.
func FuzzParseGoroutines(f *testing.F) {
	f.Add([]byte(sampleDump))
	f.Add([]byte("goroutine 1 [select, 1 minutes]:\nmain.f(...)\n\t/x.go:1\n...additional frames elided...\ncreated by x in goroutine 2\n"))
	f.Add([]byte("goroutine 1 []:\n)\n(\n\t\n"))
	for _, file := range []string{"culprits/leak/goroutine.txt.gz", "alertmanager_goroutine.txt.gz"} {
		g := gunzipFile(f, filepath.Join("testdata", file))
		f.Add(g[:min(len(g), 8<<10)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGoroutines(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := g.Other
		for _, gr := range g.Groups {
			n += gr.Count
			if gr.Count < 1 || len(gr.Stack) > maxStackFrames {
				t.Errorf("group %+v", gr)
			}
		}
		if n != g.Total {
			t.Errorf("groups hold %d goroutines, total says %d", n, g.Total)
		}
		if err := WriteGoroutines(io.Discard, g, 5); err != nil {
			t.Errorf("WriteGoroutines: %v", err)
		}
		checkBlocks(t, Blocks(nil, g, 0))
	})
}
