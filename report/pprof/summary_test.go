package pprof

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

func TestSummarizeErrors(t *testing.T) {
	heap := readProfile(t, filepath.Join("..", "testdata", "heap.pb.gz"))
	cases := []struct {
		name    string
		profile *profile.Profile
		index   string
		want    []string // substrings of the error
	}{
		{"unknown sample type names the available ones", heap, "cpu",
			[]string{`"cpu"`, "alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}},
		{"index out of range", heap, "4", []string{"sample_index 4", "[0..3]"}},
		{"nil profile", nil, "", []string{"nil profile"}},
		{"no sample types", &profile.Profile{}, "", []string{"no sample types"}},
		{"malformed", &profile.Profile{
			SampleType: countType,
			Sample:     []*profile.Sample{{Value: []int64{1, 2}}},
		}, "", []string{"check profile", "mismatch"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Summarize(c.profile, Options{SampleIndex: c.index})
			if err == nil {
				t.Fatal("Summarize succeeded, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestSummarizeEmptyProfile(t *testing.T) {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
	}
	got, err := Summarize(p, Options{})
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	if got.Total != 0 || len(got.Rows) != 0 || got.Dropped != 0 {
		t.Errorf("got total %d, %d rows, %d dropped; want all 0", got.Total, len(got.Rows), got.Dropped)
	}
	if got.Kind != "cpu" || got.SampleType != "cpu" || got.Unit != "nanoseconds" {
		t.Errorf("got kind %q, sample type %q, unit %q", got.Kind, got.SampleType, got.Unit)
	}
	js, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"cpu","sample_type":"cpu","unit":"nanoseconds","total":0,"rows":[],"dropped_nodes":0,"cum_rows":[]}`
	if string(js) != want {
		t.Errorf("JSON = %s, want %s", js, want)
	}
}

func TestSummarizeDefaults(t *testing.T) {
	heap := readProfile(t, filepath.Join("..", "testdata", "heap.pb.gz"))
	allocs := readProfile(t, filepath.Join("..", "testdata", "allocs.pb.gz"))
	cpu := readProfile(t, filepath.Join("..", "testdata", "cpu.pb.gz"))
	cases := []struct {
		name       string
		profile    *profile.Profile
		opts       Options
		sampleType string
		rows       int
	}{
		{"last sample type when no default", heap, Options{Top: 3}, "inuse_space", 3},
		{"the profile's default sample type", allocs, Options{Top: 3}, "alloc_space", 3},
		{"sample type by position", allocs, Options{Top: 3, SampleIndex: "0"}, "alloc_objects", 3},
		{"legacy inuse_ prefix", synthProfile([]*profile.ValueType{{Type: "space", Unit: "bytes"}},
			[]stack{{[]string{"f"}, []int64{1}, false}}), Options{SampleIndex: "inuse_space"}, "space", 1},
		{"top 10 by default", cpu, Options{}, "cpu", 10},
		{"negative top means 10", cpu, Options{Top: -1}, "cpu", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Summarize(c.profile, c.opts)
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			if got.SampleType != c.sampleType || len(got.Rows) != c.rows {
				t.Errorf("got sample type %q and %d rows, want %q and %d", got.SampleType, len(got.Rows), c.sampleType, c.rows)
			}
		})
	}
}

func TestSummarizeKind(t *testing.T) {
	cases := []struct {
		fixture string
		want    string
	}{
		{"heap", "heap"},
		{"allocs", "allocs"},
		{"cpu", "cpu"},
		{"goroutine", "goroutine"},
		{"block", "block"},
		{"mutex", "mutex"},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			got, err := Summarize(readProfile(t, filepath.Join("..", "testdata", c.fixture+".pb.gz")), Options{})
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			if got.Kind != c.want {
				t.Errorf("Kind = %q, want %q", got.Kind, c.want)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		p := synthProfile([]*profile.ValueType{{Type: "threadcreate", Unit: "count"}}, nil)
		if got, _ := Summarize(p, Options{}); got.Kind != "unknown" {
			t.Errorf("Kind = %q, want unknown", got.Kind)
		}
	})
}

// TestSummarizeLeavesProfileAlone checks that pruning DropFrames works on
// copies: the caller's profile must be unchanged.
func TestSummarizeLeavesProfileAlone(t *testing.T) {
	for _, c := range synthCases {
		t.Run(c.name, func(t *testing.T) {
			p := c.profile()
			before := p.String()
			if _, err := Summarize(p, Options{Top: 2}); err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			if after := p.String(); after != before {
				t.Errorf("profile changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
