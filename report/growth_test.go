package report

import (
	"context"
	"reflect"
	"testing"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/pprof"
)

// TestGrowthStreamedMatchesParsed: the heap growth of two snapshots given
// as bytes (diffed as a stream) is that of the same snapshots given
// parsed (diffed whole), and a -base diff of bytes is Diff's.
func TestGrowthStreamedMatchesParsed(t *testing.T) {
	first, second := readFixture(t, "alertmanager_heap.pb.gz"), readFixture(t, "alertmanager_heap2.pb.gz")
	p1, err := format.ParseProfile(first)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := format.ParseProfile(second)
	if err != nil {
		t.Fatal(err)
	}
	growth := func(arts []Artifact, opts Options) pprof.Summary {
		t.Helper()
		pr := PodReport{Profiles: []ProfileReport{{Name: "heap"}, {Name: "heap-2"}}}
		if errs := Analyze(context.Background(), &pr, arts, opts); len(errs) > 0 {
			t.Fatal(errs)
		}
		s := pr.Profiles[1].Summary // heap-2
		if s == nil || !s.Diff {
			t.Fatalf("no diff: %+v", s)
		}
		return *s
	}
	streamed := growth([]Artifact{{Name: "heap", Data: first}, {Name: "heap-2", Data: second}}, Options{Top: 7})
	parsed := growth([]Artifact{{Name: "heap", Format: format.Profile, Parsed: p1}, {Name: "heap-2", Format: format.Profile, Parsed: p2}}, Options{Top: 7})
	if !reflect.DeepEqual(streamed, parsed) {
		t.Errorf("streamed growth\n%+v\nparsed growth\n%+v", streamed, parsed)
	}
	baseData := growth([]Artifact{{Name: "heap-2", Data: second}}, Options{Top: 7, BaseData: first})
	baseParsed := growth([]Artifact{{Name: "heap-2", Data: second}}, Options{Top: 7, Base: p1})
	if !reflect.DeepEqual(baseData, baseParsed) || !reflect.DeepEqual(baseData, parsed) {
		t.Errorf("-base of bytes\n%+v\n-base parsed\n%+v\ngrowth\n%+v", baseData, baseParsed, parsed)
	}
}
