package report

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/internal/testprog"
	"github.com/alertprof/alertprof/report/pprof"
)

// captureProfiles fetches the named profiles from the test program at
// addr with the real fetcher, as a capture of a static target would, and
// analyses them as one pod's report of kind.
func captureProfiles(t *testing.T, addr, kind string, s capture.Settings, names ...string) (PodReport, []capture.Result) {
	t.Helper()
	pr := PodReport{Kind: kind}
	results := captureInto(t, addr, &pr, s, names...)
	return pr, results
}

// captureInto is captureProfiles into pr, which says what the caller knows
// of the pod (kind, memory bounds, restart context).
func captureInto(t *testing.T, addr string, pr *PodReport, s capture.Settings, names ...string) []capture.Result {
	t.Helper()
	plan, err := capture.PlanFor(names, s)
	if err != nil {
		t.Fatal(err)
	}
	tg := capture.Target{Namespace: "static", Pod: "rootcause", Address: addr, Scheme: "http", Path: "/debug/pprof"}
	results := capture.NewFetcher(nil, 0, 30*time.Second).Capture(context.Background(), tg, plan)
	var arts []Artifact
	for _, res := range results {
		if res.Err != nil {
			t.Fatalf("%s: %v", res.Profile.Name, res.Err)
		}
		pr.Profiles = append(pr.Profiles, ProfileReport{Name: res.Profile.Name, Note: res.WindowNote})
		arts = append(arts, Artifact{Name: res.Profile.Name, Data: res.Data, Format: res.Profile.Format()})
	}
	if errs := Analyze(context.Background(), pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	return results
}

// functions lists every function a profile report's summaries name.
func functions(p ProfileReport) []string {
	var out []string
	for _, s := range append([]pprof.Summary{*p.Summary}, p.Views...) {
		for _, r := range append(s.Rows, s.CumRows...) {
			out = append(out, r.Function)
		}
	}
	return out
}

// TestDeltaMutexNamesOnlyTheNewBurst: a process had a burst of lock
// contention (main.(*ledger).compact) long before the capture, and has a
// new one (main.(*ledger).refresh) now. The mutex profile taken as a
// delta over the capture's window names only the new one; the same
// process's profile since start, taken after it, names both.
func TestDeltaMutexNamesOnlyTheNewBurst(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "bursts", "-waiters", "8")
	fetcher(t, addr)("/burst")
	const oldHolder, oldWaiter = "main.(*ledger).compact", "main.(*ledger).handleRequest"
	const newHolder = "main.(*ledger).refresh"

	delta, res := captureProfiles(t, addr, capture.KindLatency, capture.Settings{DeltaSeconds: 2}, "mutex")
	since, _ := captureProfiles(t, addr, capture.KindLatency, capture.Settings{}, "mutex")
	t.Logf("delta: %s\nsince start: %s", delta.Headline, since.Headline)

	if res[0].Window != 2 || res[0].WindowMeta() != "2s" || delta.Profiles[0].Window != "over the last 2s" {
		t.Errorf("delta window %d (%q), labelled %q: want over the last 2s", res[0].Window, res[0].WindowMeta(), delta.Profiles[0].Window)
	}
	if want := "lock held by " + newHolder + " ("; !strings.HasPrefix(delta.Headline, want) {
		t.Errorf("delta headline %q, want %q…", delta.Headline, want)
	}
	fs := functions(delta.Profiles[0])
	if !slices.Contains(fs, newHolder) || slices.Contains(fs, oldHolder) || slices.Contains(fs, oldWaiter) {
		t.Errorf("delta names %q: want %s and neither %s nor %s", fs, newHolder, oldHolder, oldWaiter)
	}

	// The baseline in the same run: since start, both bursts show.
	if since.Profiles[0].Window != "since process start" {
		t.Errorf("since-start profile labelled %q", since.Profiles[0].Window)
	}
	if fs := functions(since.Profiles[0]); !slices.Contains(fs, newHolder) || !slices.Contains(fs, oldHolder) {
		t.Errorf("since start names %q: want both %s and %s", fs, oldHolder, newHolder)
	}
	var text strings.Builder
	if err := WritePod(&text, delta); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "mutex delay: total ") || !strings.Contains(text.String(), " over the last 2s\n") {
		t.Errorf("the text report does not label the window:\n%s", text.String())
	}
}

// TestDeltaAllocsIsAllocs: net/http/pprof serves a delta allocs profile
// without its default sample type, so that it reads as a heap profile;
// the plan's name keeps it an allocs profile, over its window.
func TestDeltaAllocsIsAllocs(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "grow")
	pr, res := captureProfiles(t, addr, capture.KindMemory, capture.Settings{DeltaSeconds: 1}, "allocs")
	if res[0].Window != 1 {
		t.Fatalf("window %d, want a 1 s delta", res[0].Window)
	}
	p := pr.Profiles[0]
	if p.Summary == nil || p.Summary.Kind != pprof.KindAllocs || p.Summary.SampleType != "alloc_space" || p.Window != "over the last 1s" {
		t.Errorf("summary %+v labelled %q, want allocs alloc_space over the last 1s", p.Summary, p.Window)
	}
}
