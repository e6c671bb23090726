package goroutines

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// The programs in ../testdata/gen/culprits have a known culprit; the
// largest group of their goroutine dumps must name it.

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
			g := readDump(t, filepath.Join("..", "testdata", "culprits", c.file))
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

func readDump(t testing.TB, file string) *Dump {
	t.Helper()
	g, err := Parse(bytes.NewReader(gunzipFile(t, file)))
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
