package pprof

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/report/internal/golden"
)

// TestWriteSummaryGolden renders the analysis of real profiles, as
// `alertprof analyze` and summary.txt show them.
func TestWriteSummaryGolden(t *testing.T) {
	cases := []struct{ name, fixture, base string }{
		{"analysis_cpu", "cpu", ""},
		{"analysis_reflect_heap", "culprits/reflect/heap", ""},
		{"analysis_mutex", "mutex", ""},
		{"analysis_alertmanager_growth", "alertmanager_heap2", "alertmanager_heap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := readProfile(t, filepath.Join("..", "testdata", c.fixture+".pb.gz"))
			var sums []Summary
			var err error
			if c.base != "" {
				var d Summary
				d, err = Diff(readProfile(t, filepath.Join("..", "testdata", c.base+".pb.gz")), p, Options{Top: 5})
				sums = []Summary{d}
			} else {
				sums, err = Analyze(p, Options{Top: 5})
			}
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			for _, s := range sums {
				if err := WriteSummary(&got, s); err != nil {
					t.Fatal(err)
				}
			}
			golden.Compare(t, filepath.Join("testdata", c.name+".golden"), got.Bytes())
		})
	}
}
