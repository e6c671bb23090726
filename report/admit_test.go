package report

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
)

// TestAnalyzeBoundsEachArtifact: an artifact past a cap, or too large for
// the memory budget, is that profile's error, saying so and that its raw
// bytes are stored (when they are); the rest of the pod is analysed, and
// every share of the budget is given back.
func TestAnalyzeBoundsEachArtifact(t *testing.T) {
	heap := readFixture(t, "alertmanager_heap.pb.gz")
	dump := readFixture(t, "alertmanager_goroutine.txt.gz")
	decoded, err := format.DecodedSize(heap, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   Options
		budget int64
		key    string
		want   string // in the heap's error; "" means analysed
		dump   string // in the goroutine dump's error
	}{
		{name: "within every cap", budget: 64 << 20},
		{name: "past the decoded cap", opts: Options{MaxDecoded: decoded - 1}, key: "k/heap.pb.gz",
			want: "too large to analyse: it decompresses to more than"},
		{name: "larger than the budget", budget: format.Cost(format.Profile, decoded) - 1, key: "k/heap.pb.gz",
			want: "too large to analyse within the memory budget"},
		{name: "not stored", opts: Options{MaxDecoded: decoded - 1},
			want: "too large to analyse: it decompresses to more than"},
		{name: "text past its lines", opts: Options{Text: format.TextLimits{MaxLines: 10}}, key: "k/heap.pb.gz",
			dump: "too large to analyse, cut: read goroutine dump: text: more lines than the cap of 10 lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			var b *capture.Budget
			if tc.budget > 0 {
				b = capture.NewBudget(tc.budget)
				opts.Budget = b
			}
			pr := PodReport{Profiles: []ProfileReport{{Name: "heap", Key: tc.key}, {Name: "goroutine", Key: tc.key}}}
			errs := Analyze(context.Background(), &pr, []Artifact{{Name: "heap", Data: heap}, {Name: "goroutine", Data: dump}}, opts)
			h, g := pr.Profiles[0], pr.Profiles[1]
			check := func(what string, p ProfileReport, want string, analysed bool) {
				t.Helper()
				if want == "" {
					if p.Error != "" || !analysed {
						t.Errorf("%s: error %q, analysed %v; want it analysed", what, p.Error, analysed)
					}
					return
				}
				if !strings.Contains(p.Error, want) {
					t.Errorf("%s: error %q, want it to say %q", what, p.Error, want)
				}
				if stored := strings.HasSuffix(p.Error, "; the raw artifact is stored"); stored != (p.Key != "") {
					t.Errorf("%s: error %q says stored %v, key %q", what, p.Error, stored, p.Key)
				}
			}
			check("heap", h, tc.want, h.Summary != nil)
			check("goroutine", g, tc.dump, g.Goroutines != nil)
			if want := btoi(tc.want != "") + btoi(tc.dump != ""); len(errs) != want {
				t.Errorf("%d errors, want %d: %v", len(errs), want, errs)
			}
			if b.Used() != 0 {
				t.Errorf("%d bytes of the budget still reserved", b.Used())
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAnalyzeWaitsForTheBudget: an analysis whose share is in use waits,
// and gives up, with its context's cause, when the context ends.
func TestAnalyzeWaitsForTheBudget(t *testing.T) {
	b := capture.NewBudget(64 << 20)
	hold, err := b.Reserve(context.Background(), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	cause := errors.New("the job ran past job_timeout")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	pr := PodReport{}
	errs := Analyze(ctx, &pr, []Artifact{{Name: "heap", Data: readFixture(t, "heap.pb.gz")}}, Options{Budget: b})
	if len(errs) != 1 || !errors.Is(errs[0], cause) {
		t.Fatalf("errors %v, want the context's cause", errs)
	}
	if strings.Contains(pr.Profiles[0].Error, "too large") {
		t.Errorf("a wait cut short reads as a size refusal: %q", pr.Profiles[0].Error)
	}
}
