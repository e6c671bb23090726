package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestAnalyzeMatchesTheJob: `alertprof analyze` on the files of a memory
// plan's capture prints the report the job printed for them, as
// handler's TestJobReportMatchesAnalyze records it in the shared golden
// file (title and links aside, which name where each came from).
func TestAnalyzeMatchesTheJob(t *testing.T) {
	src := filepath.Join("..", "..", "report", "testdata")
	dir := t.TempDir()
	dump := readGzip(t, filepath.Join(src, "alertmanager_goroutine.txt.gz"))
	var paths []string
	for name, data := range map[string][]byte{
		"heap.pb.gz":     readFile(t, filepath.Join(src, "alertmanager_heap.pb.gz")),
		"heap-2.pb.gz":   readFile(t, filepath.Join(src, "alertmanager_heap2.pb.gz")),
		"goroutines.txt": dump,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"heap.pb.gz", "heap-2.pb.gz", "goroutines.txt"} { // the plan's order
		paths = append(paths, filepath.Join(dir, name))
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), append([]string{"analyze"}, paths...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got := regexp.MustCompile(`(?m)^--- .* ---$`).ReplaceAllString(stdout.String(), "--- pod ---")
	got = regexp.MustCompile(`(?m)^(  \S+ +)\S+$`).ReplaceAllString(got, "${1}<link>")
	want := readFile(t, filepath.Join(src, "pod_memory.golden"))
	if got != string(want) {
		t.Errorf("analyze differs from the job's report\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readGzip(t *testing.T, path string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
