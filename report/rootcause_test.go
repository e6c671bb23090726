package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/internal/testprog"
)

// fetcher GETs paths of a test program's address, as a capture would.
func fetcher(t *testing.T, addr string) func(path string) []byte {
	return func(path string) []byte {
		t.Helper()
		body, err := fetch(addr, path)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
}

// fetch GETs path of addr, at most 64 MiB of it.
func fetch(addr, path string) ([]byte, error) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, body)
	}
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return body, nil
}

// TestHeadlineNamesGoroutineLeak: a memory alert on a process that
// leaked 5,000 goroutines; its heap growth is their descriptors, which
// only the runtime allocates, so the headline names the leak (where the
// goroutines block, who starts them, how many), not runtime.mallocgc.
func TestHeadlineNamesGoroutineLeak(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "leak")
	get := fetcher(t, addr)
	heap := get("/debug/pprof/heap?gc=1")
	get("/leak?n=5000")
	heap2 := get("/debug/pprof/heap?gc=1")
	dump := get("/debug/pprof/goroutine?debug=2")
	pr := PodReport{Kind: capture.KindMemory, Profiles: []ProfileReport{{Name: "heap"}, {Name: "heap-2"}, {Name: "goroutine"}}}
	arts := []Artifact{{Name: "heap", Data: heap}, {Name: "heap-2", Data: heap2}, {Name: "goroutine", Data: dump}}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	want := "goroutine leak: 4999 of "
	tail := " goroutines blocked in chan send at main.fetchWorker, created by main.fetchAll"
	if !strings.HasPrefix(pr.Headline, want) || !strings.HasSuffix(pr.Headline, tail) {
		t.Errorf("headline %q, want %q…%q", pr.Headline, want, tail)
	}
	t.Log(pr.Headline)
	for _, p := range pr.Profiles {
		if s := p.Summary; s != nil && s.Headline != nil && s.Headline.Culprit() == "runtime.mallocgc" {
			t.Errorf("%s headline %q blames the allocator", p.Name, s.Headline.Text)
		}
	}
}

// TestHeadlineNamesLockHolder: a latency alert on a lock convoy. The
// trace and the goroutine dump see the waiters in sync.Mutex.Lock; the
// headline names the holder from the mutex profile first, then the
// waiters.
func TestHeadlineNamesLockHolder(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "convoy", "-waiters", "16")
	get := fetcher(t, addr)
	paths := map[string]string{"cpu": "/debug/pprof/profile?seconds=1", "mutex": "/debug/pprof/mutex?seconds=1", "trace": "/debug/pprof/trace?seconds=1"}
	data := make(map[string][]byte)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, path := range paths {
		wg.Go(func() {
			b, err := fetch(addr, path)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			data[name] = b
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	data["goroutine"] = get("/debug/pprof/goroutine?debug=2")
	pr := PodReport{Kind: capture.KindLatency}
	var arts []Artifact
	for _, name := range []string{"cpu", "goroutine", "mutex", "trace"} {
		pr.Profiles = append(pr.Profiles, ProfileReport{Name: name})
		arts = append(arts, Artifact{Name: name, Data: data[name]})
	}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	t.Log(pr.Headline)
	// The 16 request goroutines, and the holder's own between rounds.
	var waiting int
	lead := "lock held by main.(*ledger).rebuild ("
	if _, err := fmt.Sscanf(after(pr.Headline, " mutex delay), "), "%d goroutines waiting", &waiting); !strings.HasPrefix(pr.Headline, lead) || err != nil ||
		waiting < 1 || waiting > 17 || !strings.HasSuffix(pr.Headline, " goroutines waiting in sync.Mutex.Lock at main.(*ledger).handleRequest") {
		t.Errorf("headline %q, want %q…, 1 to 17 goroutines waiting in sync.Mutex.Lock at main.(*ledger).handleRequest", pr.Headline, lead)
	}
}

// after is what follows sep in s, or "".
func after(s, sep string) string {
	_, rest, _ := strings.Cut(s, sep)
	return rest
}

// TestEmptyContentionProfilesSayTheRateIsOff: the block and mutex
// profiles of a process that never turned them on are empty; their
// sections say how to turn them on, and neither leads the headline.
func TestEmptyContentionProfilesSayTheRateIsOff(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "leak")
	get := fetcher(t, addr)
	pr := PodReport{Kind: capture.KindLatency}
	var arts []Artifact
	for _, name := range []string{"block", "mutex", "goroutine"} {
		path := "/debug/pprof/" + name
		if name == "goroutine" {
			path += "?debug=2"
		}
		pr.Profiles = append(pr.Profiles, ProfileReport{Name: name})
		arts = append(arts, Artifact{Name: name, Data: get(path)})
	}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	if want := pr.Profiles[2].Goroutines.Headline(); pr.Headline != want {
		t.Errorf("headline %q, want the goroutine dump's %q", pr.Headline, want)
	}
	calls := []string{"runtime.SetBlockProfileRate(", "runtime.SetMutexProfileFraction("}
	for i, call := range calls {
		p := pr.Profiles[i]
		if p.Summary == nil || p.Summary.Total != 0 {
			t.Fatalf("%s: summary %+v, want an empty one", p.Name, p.Summary)
		}
		var b strings.Builder
		if err := WriteProfile(&b, p, 5); err != nil {
			t.Fatal(err)
		}
		t.Log(b.String())
		if !strings.Contains(b.String(), call) || strings.Contains(p.Note, calls[1-i]) || !strings.Contains(b.String(), "\n"+p.Name+" delay: total 0") {
			t.Errorf("%s section does not say to call %s only:\n%s", p.Name, call, b.String())
		}
	}
}

// TestGoroutineGrowthSinceBase: two dumps of one process, before and
// after it leaked 800 goroutines; with the first as base, the second's
// growth names the leaked group and leads the headline.
func TestGoroutineGrowthSinceBase(t *testing.T) {
	addr, _ := testprog.Run(t, testprog.Build(t, "./testdata/gen/rootcause"), "pprof ", "-mode", "leak")
	get := fetcher(t, addr)
	before := get("/debug/pprof/goroutine?debug=2")
	get("/leak?n=800")
	after := get("/debug/pprof/goroutine?debug=2")
	pr := PodReport{Profiles: []ProfileReport{{Name: "goroutine"}}}
	r, err := format.TextReaderMax(before, format.TextLimits{})
	if err != nil {
		t.Fatal(err)
	}
	dump, err := goroutines.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if errs := Analyze(context.Background(), &pr, []Artifact{{Name: "goroutine", Data: after}}, Options{BaseGoroutines: dump}); len(errs) > 0 {
		t.Fatal(errs)
	}
	gr := pr.Profiles[0].GoroutineGrowth
	if gr == nil || gr.After-gr.Before < 799 || len(gr.Changes) == 0 || gr.Changes[0].Delta != 799 || gr.Changes[0].Before != 0 {
		t.Fatalf("growth %+v, want 799 new goroutines in its first change", gr)
	}
	if want := ", +799 in [chan send] at main.fetchWorker, created by main.fetchAll"; !strings.HasPrefix(pr.Headline, "goroutines grew +") || !strings.HasSuffix(pr.Headline, want) {
		t.Errorf("headline %q, want goroutines grew …%q", pr.Headline, want)
	}
	var b strings.Builder
	if err := WriteProfile(&b, pr.Profiles[0], 5); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "goroutine growth (-base)") {
		t.Errorf("section lacks the growth:\n%s", b.String())
	}
}
