package pprof

import (
	"path/filepath"
	"slices"
	"testing"
)

// The programs in ../testdata/gen/culprits have a known culprit. For each,
// the headline or the top three rows must name it.

func TestCulpritProfiles(t *testing.T) {
	cases := []struct {
		name, file, sampleIndex, culprit string
	}{
		{"unbounded map", "cache/heap.pb.gz", "inuse_space", "main.(*sessionCache).put"},
		{"reflect decoder, bytes", "reflect/heap.pb.gz", "inuse_space", "main.scanCustomers"},
		{"reflect decoder, objects", "reflect/heap.pb.gz", "inuse_objects", "main.scanCustomers"},
		{"io.ReadAll of bodies", "readall/heap.pb.gz", "inuse_space", "main.handleUpload"},
		{"goroutines leaking on a channel", "leak/goroutine.pb.gz", "", "main.fetchWorker"},
		{"requests stuck on the network", "slownet/goroutine.pb.gz", "", "main.callInventory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := readProfile(t, filepath.Join("..", "testdata", "culprits", c.file))
			s, err := Summarize(p, Options{Top: 3, SampleIndex: c.sampleIndex})
			if err != nil {
				t.Fatal(err)
			}
			if s.Headline == nil {
				t.Fatal("no headline")
			}
			if got := s.Headline.Culprit(); got != c.culprit {
				t.Errorf("headline blames %q, want %q: %s", got, c.culprit, s.Headline.Text)
			}
			if !slices.ContainsFunc(s.Rows, func(r Row) bool { return r.Function == c.culprit }) &&
				!slices.ContainsFunc(s.CumRows, func(r Row) bool { return r.Function == c.culprit }) {
				t.Logf("top three rows do not name %s (the headline does): %+v", c.culprit, s.Rows)
			}
		})
	}
}

func TestCulpritGrowth(t *testing.T) {
	dir := filepath.Join("..", "testdata", "culprits", "cache")
	s, err := Diff(readProfile(t, filepath.Join(dir, "heap.pb.gz")), readProfile(t, filepath.Join(dir, "heap2.pb.gz")), Options{Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Headline == nil || s.Headline.Culprit() != "main.(*sessionCache).put" || s.Headline.Net <= 0 {
		t.Fatalf("headline %+v, want growth blamed on main.(*sessionCache).put", s.Headline)
	}
	if !s.Diff || s.Rows[0].Function != "main.(*sessionCache).put" || s.Rows[0].Flat <= 0 {
		t.Errorf("top growth row %+v", s.Rows[0])
	}
}
