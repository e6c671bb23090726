package pprof

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/report/internal/golden"
)

func TestWriteTextGolden(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		opts    Options
	}{
		{"heap_inuse_space_top5", "heap", Options{Top: 5, SampleIndex: "inuse_space"}},
		{"allocs_top5", "allocs", Options{Top: 5}},
		{"cpu_top10", "cpu", Options{Top: 10}},
		{"goroutine_top5", "goroutine", Options{Top: 5}},
		{"mutex_top5", "mutex", Options{Top: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Summarize(readProfile(t, filepath.Join("..", "testdata", c.fixture+".pb.gz")), c.opts)
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			var got bytes.Buffer
			if err := WriteText(&got, s); err != nil {
				t.Fatalf("WriteText: %v", err)
			}
			golden.Compare(t, filepath.Join("testdata", c.name+".golden"), got.Bytes())
		})
	}
}

func TestWriteTextEmpty(t *testing.T) {
	var got bytes.Buffer
	s := Summary{Kind: "goroutine", SampleType: "goroutine", Unit: "count", Rows: []Row{}}
	if err := WriteText(&got, s); err != nil {
		t.Fatal(err)
	}
	const want = "goroutine goroutine: total 0\n" +
		"      flat  flat%        cum   cum%  function\n"
	if got.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", got.String(), want)
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteTextError(t *testing.T) {
	err := WriteText(failingWriter{}, Summary{})
	if !errors.Is(err, errWrite) {
		t.Errorf("WriteText error = %v, want it to wrap %v", err, errWrite)
	}
}
