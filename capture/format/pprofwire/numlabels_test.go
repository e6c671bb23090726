package pprofwire

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"
)

// TestNumLabelsMatchParseData writes samples with numeric labels, with and
// without units and with several values per key, and checks that
// EachSample gives the NumLabel and NumUnit of profile.ParseData when
// NumLabels is set, and none when it is not.
func TestNumLabelsMatchParseData(t *testing.T) {
	loc := &profile.Location{ID: 1}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		Location:   []*profile.Location{loc},
		Sample: []*profile.Sample{
			{Value: []int64{1}, Location: []*profile.Location{loc},
				NumLabel: map[string][]int64{"bytes": {64}, "n": {1, 2, 3}},
				NumUnit:  map[string][]string{"bytes": {"bytes"}, "n": {"", "count", ""}}},
			{Value: []int64{2}, Location: []*profile.Location{loc}, Label: map[string][]string{"span": {"a"}}},
			{Value: []int64{3}, Location: []*profile.Location{loc}, NumLabel: map[string][]int64{"n": {7}}},
		},
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	want, err := profile.ParseData(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, nums := range []bool{true, false} {
		r, err := Read(buf.Bytes(), 1<<20)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		r.NumLabels = nums
		i := 0
		err = r.EachSample(func(s *profile.Sample) error {
			w := want.Sample[i]
			i++
			wantNum, wantUnit := w.NumLabel, w.NumUnit
			if !nums {
				wantNum, wantUnit = nil, nil
			}
			if len(s.NumLabel)+len(wantNum) > 0 && !reflect.DeepEqual(s.NumLabel, wantNum) {
				t.Errorf("NumLabels %t: sample %d numeric labels %v, want %v", nums, i-1, s.NumLabel, wantNum)
			}
			if len(s.NumUnit)+len(wantUnit) > 0 && !reflect.DeepEqual(s.NumUnit, wantUnit) {
				t.Errorf("NumLabels %t: sample %d units %v, want %v", nums, i-1, s.NumUnit, wantUnit)
			}
			return nil
		})
		if err != nil || i != len(want.Sample) {
			t.Fatalf("EachSample: %v after %d samples", err, i)
		}
	}
}
