package webui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/report/pprof"
)

const (
	cpuKey  = "incidents/2026/11/23/inc1/static/127.0.0.1-6060/cpu.pb.gz"
	heapKey = "incidents/2026/11/23/inc1/static/127.0.0.1-6060/heap.pb.gz"
	textKey = "incidents/2026/11/23/inc1/static/127.0.0.1-6060/goroutines.txt"
)

// fixture is a UI over a real local store holding real profiles, served
// over HTTP as alertprof mounts it.
type fixture struct {
	ui    *UI
	srv   *httptest.Server
	clock atomic.Int64 // unix seconds
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, maxOpen int) *fixture {
	t.Helper()
	f := &fixture{}
	f.clock.Store(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(f.clock.Load(), 0) }
	st, err := store.NewLocal(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	for key, file := range map[string]string{cpuKey: "cpu.pb.gz", heapKey: "heap.pb.gz", textKey: "README.md"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(context.Background(), key, b, capture.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	signer, err := store.NewSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.reg = prometheus.NewRegistry()
	f.ui, err = New(st, signer, Config{BaseURL: f.srv.URL, MaxOpen: maxOpen, Gate: capture.NewGate(2), Registerer: f.reg})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(Prefix+"/", http.StripPrefix(Prefix, f.ui))
	return f
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// topFunction is the first row of Summarize for the testdata file.
func topFunction(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.ParseData(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pprof.Summarize(p, pprof.Options{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) == 0 {
		t.Fatalf("%s: no rows", file)
	}
	return s.Rows[0].Function
}

func TestLinkOpensFlameGraph(t *testing.T) {
	f := newFixture(t, 8)
	for _, tc := range []struct{ key, file string }{{cpuKey, "cpu.pb.gz"}, {heapKey, "heap.pb.gz"}} {
		t.Run(tc.file, func(t *testing.T) {
			link := f.ui.Link(tc.key)
			if !strings.HasPrefix(link, f.srv.URL+"/ui/") || !strings.HasSuffix(link, "/flamegraph") {
				t.Fatalf("link %q", link)
			}
			top := topFunction(t, tc.file)
			code, body := get(t, link)
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", link, code, body)
			}
			if !strings.Contains(body, "stackViewer(") || !strings.Contains(body, `"`+top+`"`) {
				t.Fatalf("the flame graph page does not carry %q in its data", top)
			}
			// pprof's pages link to each other relatively; they stay signed.
			for _, rel := range []string{"./top", "./peek?f=" + url.QueryEscape(regexpQuote(top)), "./"} {
				base, _ := url.Parse(link)
				ref, err := url.Parse(rel)
				if err != nil {
					t.Fatal(err)
				}
				next := base.ResolveReference(ref)
				code, body := get(t, next.String())
				if code != http.StatusOK || !strings.Contains(body, top) {
					t.Fatalf("GET %s: %d; top function present: %v", next, code, strings.Contains(body, top))
				}
			}
		})
	}
}

func regexpQuote(s string) string {
	r := strings.NewReplacer("(", `\(`, ")", `\)`, "*", `\*`, ".", `\.`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, 8)
	link := f.ui.Link(cpuKey)
	u, _ := url.Parse(link)
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/ui/"), "/", 3)
	exp, sig := parts[0], parts[1]
	flip := map[byte]byte{'0': '1'}
	tampered := []byte(sig)
	if c, ok := flip[tampered[0]]; ok {
		tampered[0] = c
	} else {
		tampered[0] = '0'
	}
	heapWithCPUSig := strings.Replace(link, "/cpu.pb.gz/", "/heap.pb.gz/", 1)
	artifactStyle := f.srv.URL + "/ui/" + exp + "/" + sig + "/" + cpuKey + "/top"
	missingExp, missingSig := f.ui.signer.Sign(signedName("incidents/2026/11/23/inc1/static/x/missing.pb.gz"))

	for _, tc := range []struct {
		name, url string
		code      int
		says      string
	}{
		{"tampered signature", f.srv.URL + "/ui/" + exp + "/" + string(tampered) + "/" + cpuKey + "/flamegraph", http.StatusForbidden, "invalid link signature"},
		{"signature of another key", heapWithCPUSig, http.StatusForbidden, "invalid link signature"},
		{"later expiry", strings.Replace(link, "/"+exp+"/", "/9"+exp+"/", 1), http.StatusForbidden, "invalid link signature"},
		{"no signature", f.srv.URL + "/ui/" + cpuKey + "/flamegraph", http.StatusForbidden, "invalid link signature"},
		{"no key", f.srv.URL + "/ui/" + exp + "/" + sig + "/flamegraph", http.StatusNotFound, "not found"},
		{"same key, other view", artifactStyle, http.StatusOK, ""},
		{"bare key redirects to the flame graph", strings.TrimSuffix(link, "/flamegraph"), http.StatusOK, "stackViewer("},
		{"unknown key", f.srv.URL + "/ui/" + missingExp + "/" + missingSig + "/incidents/2026/11/23/inc1/static/x/missing.pb.gz/flamegraph", http.StatusNotFound, "no stored profile"},
		{"text artifact", f.srv.URL + "/ui/" + exp + "/" + sig + "/" + textKey + "/flamegraph", http.StatusNotFound, "not found"},
		{"source view", strings.Replace(link, "/flamegraph", "/source", 1), http.StatusNotFound, "source view is disabled"},
		{"save settings", strings.Replace(link, "/flamegraph", "/saveconfig", 1), http.StatusNotFound, "disabled"},
		{"unknown view", strings.Replace(link, "/flamegraph", "/nope", 1), http.StatusNotFound, "no page /nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, tc.url)
			if code != tc.code || !strings.Contains(body, tc.says) {
				t.Fatalf("GET %s: %d %q, want %d with %q", tc.url, code, body, tc.code, tc.says)
			}
		})
	}

	// The same link, an hour and a second later.
	f.clock.Add(int64(time.Hour/time.Second) + 1)
	if code, body := get(t, link); code != http.StatusForbidden || !strings.Contains(body, "link expired") {
		t.Fatalf("expired link: %d %q", code, body)
	}
	if f.ui.Link(textKey) != "" {
		t.Fatal("a text artifact got a flame-graph link")
	}
	// Four refusals above and the expired link; one profile opened.
	if got := counterValue(t, f.ui.metrics.requests.WithLabelValues(resultForbidden)); got != 5 {
		t.Errorf("alertprof_ui_requests_total{result=forbidden} = %v, want 5", got)
	}
	if got := counterValue(t, f.ui.metrics.opened); got != 1 {
		t.Errorf("alertprof_ui_profiles_opened_total = %v, want 1 (cpu.pb.gz, opened once)", got)
	}
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() == "alertprof_ui_requests_total" && len(fam.GetMetric()) != 4 {
			t.Errorf("alertprof_ui_requests_total has %d series, want one per result", len(fam.GetMetric()))
		}
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestNoLinkWithoutBaseURL(t *testing.T) {
	signer, err := store.NewSigner([]byte("k"), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.NewLocal(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	ui, err := New(st, signer, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if l := ui.Link(cpuKey); l != "" {
		t.Fatalf("link %q without a base URL", l)
	}
}

func TestLRUEvicts(t *testing.T) {
	f := newFixture(t, 1)
	cpu, heap := f.ui.Link(cpuKey), f.ui.Link(heapKey)
	for i, link := range []string{cpu, heap, heap, cpu} {
		if code, _ := get(t, link); code != http.StatusOK {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	open, opens := f.ui.open.stats()
	// cpu opened, heap opened (cpu evicted), heap served open, cpu reopened.
	if open != 1 || opens != 3 {
		t.Fatalf("open %d, opens %d; want 1 open after 3 opens", open, opens)
	}

	// An evicted profile is not held by anything: once heap is evicted
	// again, the garbage collector frees its pprof handlers.
	f.ui.open.mu.Lock()
	p, _ := f.ui.open.lru.Peek(cpuKey)
	f.ui.open.mu.Unlock()
	var freed atomic.Bool
	runtime.AddCleanup(p, func(*atomic.Bool) { freed.Store(true) }, &freed)
	p = nil
	if code, _ := get(t, heap); code != http.StatusOK { // evicts cpu
		t.Fatalf("heap: %d", code)
	}
	http.DefaultClient.CloseIdleConnections()
	for i := 0; i < 50 && !freed.Load(); i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if !freed.Load() {
		t.Fatal("the evicted profile is still reachable after 50 collections")
	}
	if open, opens = f.ui.open.stats(); open != 1 || opens != 4 {
		t.Fatalf("open %d, opens %d; want 1 and 4", open, opens)
	}
	// A failed open is not kept.
	exp, sig := f.ui.signer.Sign(signedName("a/missing.pb.gz"))
	for range 2 {
		if code, _ := get(t, f.srv.URL+"/ui/"+exp+"/"+sig+"/a/missing.pb.gz/top"); code != http.StatusNotFound {
			t.Fatalf("missing profile: %d", code)
		}
	}
	if open, opens := f.ui.open.stats(); open != 1 || opens != 6 {
		t.Fatalf("after two failed opens: open %d, opens %d; want 1 and 6", open, opens)
	}
}

func TestConcurrentFirstRequestsOpenOnce(t *testing.T) {
	f := newFixture(t, 8)
	link := f.ui.Link(heapKey)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			resp, err := http.Get(link)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if _, opens := f.ui.open.stats(); opens != 1 {
		t.Fatalf("%d opens for one key", opens)
	}
}
