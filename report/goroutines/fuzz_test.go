package goroutines

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the goroutine dump parser.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleDump))
	f.Add([]byte("goroutine 1 [select, 1 minutes]:\nmain.f(...)\n\t/x.go:1\n...additional frames elided...\ncreated by x in goroutine 2\n"))
	f.Add([]byte("goroutine 1 []:\n)\n(\n\t\n"))
	for _, file := range []string{"culprits/leak/goroutine.txt.gz", "alertmanager_goroutine.txt.gz"} {
		g := gunzipFile(f, filepath.Join("..", "testdata", file))
		f.Add(g[:min(len(g), 8<<10)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(bytes.NewReader(data))
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
		if err := Write(io.Discard, g, 5); err != nil {
			t.Errorf("Write: %v", err)
		}
	})
}

// gunzipFile returns the content of a gzipped file.
func gunzipFile(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
