package report

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The programs in testdata/gen/culprits have a known culprit. For each,
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
			p := readProfile(t, filepath.Join("testdata", "culprits", c.file))
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
	dir := filepath.Join("testdata", "culprits", "cache")
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

func TestCulpritGoroutineDumps(t *testing.T) {
	cases := []struct {
		name, file, state, culprit string
		atLeast                    int
	}{
		{"goroutines leaking on a channel", "leak/goroutine.txt.gz", "chan send", "main.fetchWorker", 1000},
		{"requests stuck on the network", "slownet/goroutine.txt.gz", "IO wait", "main.callInventory", 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := readDump(t, filepath.Join("testdata", "culprits", c.file))
			top := g.Groups[0]
			if top.Top != c.culprit || top.State != c.state || top.Count < c.atLeast {
				t.Errorf("largest group: %d × [%s] at %s; want ≥%d × [%s] at %s",
					top.Count, top.State, top.Top, c.atLeast, c.state, c.culprit)
			}
			if h := g.Headline(); !containsAll(h, c.culprit, c.state) {
				t.Errorf("headline %q does not name %s in %s", h, c.culprit, c.state)
			}
		})
	}
}

func readDump(t testing.TB, file string) *Goroutines {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseGoroutines(zr)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
