package format

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/capture/format/pprofwire"
)

// TestDiffCost: a streamed diff is charged both profiles' stream costs
// and its merged-sample entries by their sample bytes; bytes that are no
// profile are charged as decoded whole.
func TestDiffCost(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	base, cur := read("alertmanager_heap.pb.gz"), read("alertmanager_heap2.pb.gz")
	const max = 64 << 20
	sb, _, err := pprofwire.Sizes(base, max)
	if err != nil {
		t.Fatal(err)
	}
	sc, _, err := pprofwire.Sizes(cur, max)
	if err != nil {
		t.Fatal(err)
	}
	streams := ProfileCost(base, max) + ProfileCost(cur, max)
	if got, want := DiffCost(base, cur, max), streams+diffKeyCost*(sb+sc); got != want || sb+sc == 0 {
		t.Errorf("DiffCost %d, want %d (stream costs %d, sample bytes %d)", got, want, streams, sb+sc)
	}
	junk := []byte("not a profile at all")
	if got, want := DiffCost(junk, cur, max), ParsedCost(int64(len(junk)))+ProfileCost(cur, max)+diffKeyCost*sc; got != want {
		t.Errorf("DiffCost with junk %d, want %d", got, want)
	}
}
