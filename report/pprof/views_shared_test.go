package pprof

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"
)

// TestAnalyzeSharesStacks checks that summarizing several sample types in
// one walk over the stacks, as Analyze does, gives each the summary that
// Summarize gives it alone.
func TestAnalyzeSharesStacks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.pb.gz"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "culprits", "*", "*.pb.gz"))
	profiles := map[string]*profile.Profile{}
	for _, f := range append(files, more...) {
		profiles[f] = readProfile(t, f)
	}
	for _, c := range synthCases {
		profiles[c.name] = c.profile()
	}
	for name, p := range profiles {
		sums, err := Analyze(p, Options{Top: 7})
		if err != nil {
			t.Fatalf("%s: Analyze: %v", name, err)
		}
		var types []string
		for _, st := range p.SampleType {
			types = append(types, st.Type)
		}
		all, err := summarizeTypes(p, types, 7, false)
		if err != nil {
			t.Fatalf("%s: summarizeTypes: %v", name, err)
		}
		for i, typ := range types {
			one, err := Summarize(p, Options{Top: 7, SampleIndex: typ})
			if err != nil {
				t.Fatalf("%s %s: Summarize: %v", name, typ, err)
			}
			if !reflect.DeepEqual(all[i], one) {
				t.Errorf("%s %s: with all types\n%+v\nalone\n%+v", name, typ, all[i], one)
			}
			for _, s := range sums {
				if s.SampleType == typ && !reflect.DeepEqual(s, one) {
					t.Errorf("%s %s: Analyze\n%+v\nSummarize\n%+v", name, typ, s, one)
				}
			}
		}
	}
}
