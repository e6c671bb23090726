package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Real profiles, taken from this test process with runtime/pprof once per
// run, so the fetcher parses exactly what a Go service serves.
var realProfiles = sync.OnceValues(func() (map[string][]byte, error) {
	out := make(map[string][]byte)
	for _, name := range []string{"heap", "goroutine", "allocs", "block", "mutex", "threadcreate"} {
		var buf bytes.Buffer
		if err := pprof.Lookup(name).WriteTo(&buf, 0); err != nil {
			return nil, fmt.Errorf("%s profile: %w", name, err)
		}
		out[name] = buf.Bytes()
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	// Burn CPU for ~200ms so the profile has samples.
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		for i := range 10_000 {
			x ^= i * i
		}
	}
	pprof.StopCPUProfile()
	_ = x
	out["profile"] = buf.Bytes()
	return out, nil
})

// realProfile returns the bytes a Go service serves at /debug/pprof/<endpoint>.
func realProfile(t *testing.T, endpoint string) []byte {
	t.Helper()
	profs, err := realProfiles()
	if err != nil {
		t.Fatal(err)
	}
	b, ok := profs[endpoint]
	if !ok || len(b) == 0 {
		t.Fatalf("no real %s profile", endpoint)
	}
	return b
}

func heapProfileBytes(t *testing.T) []byte { return realProfile(t, "heap") }

// pprofServer serves real profiles under /debug/pprof/ like net/http/pprof.
func pprofServer(t *testing.T) *httptest.Server {
	t.Helper()
	profs, err := realProfiles()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := profs[strings.TrimPrefix(r.URL.Path, "/debug/pprof/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func serverTarget(addr string) Target {
	return Target{Namespace: "static", Pod: staticPodName(addr), Address: addr, Scheme: "http", Path: "/debug/pprof"}
}

func mustProfile(t *testing.T, name string, cpuSeconds int) Profile {
	t.Helper()
	p, err := ProfileByName(name, cpuSeconds)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantFetchError checks that res failed with reason and a message that
// contains every one of msgs.
func wantFetchError(t *testing.T, res Result, reason string, msgs ...string) *FetchError {
	t.Helper()
	if res.Err == nil {
		t.Fatalf("fetch succeeded with %d bytes, want a %s error", len(res.Data), reason)
	}
	var fe *FetchError
	if !errors.As(res.Err, &fe) {
		t.Fatalf("error %v (%T) is not a *FetchError", res.Err, res.Err)
	}
	if fe.Reason != reason {
		t.Errorf("Reason = %q, want %q (error: %v)", fe.Reason, reason, res.Err)
	}
	if fe.Profile != res.Profile.Name || !strings.HasPrefix(res.Err.Error(), res.Profile.Name+": ") {
		t.Errorf("error %q does not name the profile %q", res.Err, res.Profile.Name)
	}
	for _, m := range msgs {
		if !strings.Contains(res.Err.Error(), m) {
			t.Errorf("error %q does not mention %q", res.Err, m)
		}
	}
	if res.Data != nil || res.Parsed != nil {
		t.Errorf("failed fetch kept Data (%d bytes) or Parsed (%v)", len(res.Data), res.Parsed != nil)
	}
	return fe
}

func TestFetchRealProfiles(t *testing.T) {
	srv := pprofServer(t)
	tg := serverTarget(srv.Listener.Addr().String())
	f := NewFetcher(nil, 0, 10*time.Second)
	tests := []struct {
		name       string
		profile    string
		endpoint   string
		sampleType string // one of the parsed profile's sample types
	}{
		{name: "heap", profile: "heap", endpoint: "heap", sampleType: "inuse_space"},
		{name: "allocs", profile: "allocs", endpoint: "allocs", sampleType: "alloc_space"},
		{name: "goroutine", profile: "goroutine", endpoint: "goroutine", sampleType: "goroutine"},
		{name: "block", profile: "block", endpoint: "block", sampleType: "delay"},
		{name: "mutex", profile: "mutex", endpoint: "mutex", sampleType: "delay"},
		{name: "threadcreate", profile: "threadcreate", endpoint: "threadcreate", sampleType: "threadcreate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustProfile(t, tc.profile, 1)
			before := time.Now()
			res := f.Fetch(context.Background(), tg, p)
			if res.Err != nil {
				t.Fatalf("Fetch: %v", res.Err)
			}
			if want := realProfile(t, tc.endpoint); !bytes.Equal(res.Data, want) {
				t.Errorf("Data is %d bytes and differs from the %d bytes served", len(res.Data), len(want))
			}
			if res.Parsed == nil {
				t.Fatal("Parsed is nil")
			}
			var types []string
			for _, st := range res.Parsed.SampleType {
				types = append(types, st.Type)
			}
			if !strings.Contains(" "+strings.Join(types, " ")+" ", " "+tc.sampleType+" ") {
				t.Errorf("parsed sample types %q lack %q", types, tc.sampleType)
			}
			if res.Profile != p {
				t.Errorf("Result.Profile = %+v, want %+v", res.Profile, p)
			}
			if res.Started.Before(before) || res.Duration <= 0 {
				t.Errorf("Started = %v (fetch began after %v), Duration = %v", res.Started, before, res.Duration)
			}
		})
	}
}

func TestFetchCPUProfileAsksForItsWindow(t *testing.T) {
	cpu := realProfile(t, "profile")
	type req struct{ path, query string }
	var mu sync.Mutex
	var got []req
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, req{r.URL.Path, r.URL.RawQuery})
		mu.Unlock()
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") == "" {
			http.Error(w, "not the cpu endpoint", http.StatusBadRequest)
			return
		}
		_, _ = w.Write(cpu)
	}))
	t.Cleanup(srv.Close)
	tg := serverTarget(srv.Listener.Addr().String())

	tests := []struct {
		name      string
		seconds   int
		wantQuery string
	}{
		{name: "asked seconds", seconds: 7, wantQuery: "seconds=7"},
		{name: "zero clamps to one", seconds: 0, wantQuery: "seconds=1"},
		{name: "too long clamps to max", seconds: 3600, wantQuery: "seconds=60"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			res := NewFetcher(nil, 0, 5*time.Second).Fetch(context.Background(), tg, mustProfile(t, "cpu", tc.seconds))
			if res.Err != nil {
				t.Fatalf("Fetch: %v", res.Err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != (req{"/debug/pprof/profile", tc.wantQuery}) {
				t.Fatalf("server saw %+v, want one GET /debug/pprof/profile?%s", got, tc.wantQuery)
			}
			if !bytes.Equal(res.Data, cpu) {
				t.Errorf("Data differs from the CPU profile served")
			}
			if res.Parsed == nil || res.Parsed.PeriodType == nil || res.Parsed.PeriodType.Type != "cpu" {
				t.Errorf("parsed CPU profile has period type %+v, want cpu", res.Parsed.PeriodType)
			}
		})
	}
}

func TestFetchFaults(t *testing.T) {
	heap := realProfile(t, "heap")
	tests := []struct {
		name     string
		maxBytes int64
		handler  http.HandlerFunc
		reason   string
		msgs     []string
	}{
		{
			name:    "404",
			handler: http.NotFound,
			reason:  ReasonStatus,
			msgs:    []string{"HTTP 404", "404 page not found"},
		},
		{
			name: "cpu profiling already in use",
			handler: func(w http.ResponseWriter, r *http.Request) {
				// What net/http/pprof answers while another CPU profile runs.
				w.Header().Set("X-Go-Pprof", "1")
				http.Error(w, "Could not enable CPU profiling: cpu profiling already in use", http.StatusInternalServerError)
			},
			reason: ReasonStatus,
			msgs:   []string{"HTTP 500", "already in use"},
		},
		{
			name: "401 with empty body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
			},
			reason: ReasonStatus,
			msgs:   []string{"the target answered HTTP 401"},
		},
		{
			name: "503 with a heap profile body is still a failure",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write(heap)
			},
			reason: ReasonStatus,
			msgs:   []string{"HTTP 503"},
		},
		{
			name: "html page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Please sign in</body></html>")
			},
			reason: ReasonNotProfile,
			msgs:   []string{"HTML"},
		},
		{
			name: "html page with leading space and upper case",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "\n  <HTML><BODY>dashboard</BODY></HTML>")
			},
			reason: ReasonNotProfile,
			msgs:   []string{"HTML"},
		},
		{
			name: "truncated gzip",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(heap[:len(heap)/2])
			},
			reason: ReasonNotProfile,
			msgs:   []string{"not a valid profile"},
		},
		{
			name: "plain text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "ok\n")
			},
			reason: ReasonNotProfile,
			msgs:   []string{"not a valid profile"},
		},
		{
			name:    "empty body",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			reason:  ReasonNotProfile,
			msgs:    []string{"not a valid profile"},
		},
		{
			name:     "10 KB over a 4 KB cap",
			maxBytes: 4096,
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(bytes.Repeat([]byte("x"), 10<<10))
			},
			reason: ReasonTooLarge,
			msgs:   []string{"4096-byte cap"},
		},
		{
			name:     "real profile one byte over the cap",
			maxBytes: int64(len(heap)) - 1,
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(heap)
			},
			reason: ReasonTooLarge,
			msgs:   []string{fmt.Sprintf("%d-byte cap", len(heap)-1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			f := NewFetcher(nil, tc.maxBytes, 5*time.Second)
			res := f.Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1))
			wantFetchError(t, res, tc.reason, tc.msgs...)
		})
	}
}

func TestFetchProfileExactlyAtTheCap(t *testing.T) {
	heap := realProfile(t, "heap")
	srv := pprofServer(t)
	f := NewFetcher(nil, int64(len(heap)), 5*time.Second)
	res := f.Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1))
	if res.Err != nil {
		t.Fatalf("a %d-byte profile under a %d-byte cap: %v", len(heap), len(heap), res.Err)
	}
	if !bytes.Equal(res.Data, heap) {
		t.Error("Data differs from the profile served")
	}
}

func TestFetchStatusMessageIsShort(t *testing.T) {
	page := "<html><body>" + strings.Repeat("internal error detail\n", 1000) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, page, http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	res := NewFetcher(nil, 0, 5*time.Second).Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "goroutine", 1))
	wantFetchError(t, res, ReasonStatus, "HTTP 502", "internal error detail", "…")
	if msg := res.Err.Error(); len(msg) > 300 || strings.Contains(msg, "\n") {
		t.Errorf("status error is %d bytes or spans lines, want one short line: %q", len(msg), msg)
	}
}

// countingConn counts the bytes the client reads off the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestFetchEndlessBodyStopsAtTheCap(t *testing.T) {
	const (
		maxBytes = 4096
		// The server gives up after this much; reaching it means the
		// client kept reading what should have been an endless stream.
		streamLimit = 1 << 30
	)
	var written atomic.Int64
	serverDone := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte{0x1f}, 32<<10)
		for written.Load() < streamLimit {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				serverDone <- err
				return
			}
		}
		serverDone <- nil
	}))
	t.Cleanup(srv.Close)

	var read atomic.Int64
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, n: &read}, nil
		},
	}}
	f := NewFetcher(client, maxBytes, 30*time.Second)

	fetched := make(chan Result, 1)
	tg, heap := serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1)
	go func() { fetched <- f.Fetch(context.Background(), tg, heap) }()
	var res Result
	select {
	case res = <-fetched:
	case <-time.After(20 * time.Second):
		t.Fatal("Fetch of an endless body did not return")
	}
	wantFetchError(t, res, ReasonTooLarge, "4096-byte cap")

	// The client read the cap and a buffer's worth, not the stream.
	if n := read.Load(); n > 64<<10 {
		t.Errorf("client read %d bytes off the wire for a %d-byte cap", n, maxBytes)
	}
	// And it hung up, so the server's next writes failed long before the
	// end of the stream.
	select {
	case err := <-serverDone:
		if err == nil {
			t.Fatalf("server wrote all %d bytes: the body was consumed in full", written.Load())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server still streaming (%d bytes written) after Fetch returned: the connection was not closed", written.Load())
	}
	if n := written.Load(); n >= streamLimit {
		t.Errorf("server wrote %d bytes, the whole stream", n)
	}
}

func TestFetchTimeout(t *testing.T) {
	heap := realProfile(t, "heap")
	tests := []struct {
		name    string
		handler func(release <-chan struct{}) http.HandlerFunc
	}{
		{
			name: "no response headers",
			handler: func(release <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				}
			},
		},
		{
			name: "stalls mid-body",
			handler: func(release <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write(heap[:len(heap)/2])
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-release:
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(tc.handler(release))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) }) // runs before srv.Close

			f := NewFetcher(nil, 0, 200*time.Millisecond)
			start := time.Now()
			res := f.Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1))
			elapsed := time.Since(start)
			wantFetchError(t, res, ReasonTimeout, "timed out", "heap profile took longer than 200ms")
			if elapsed < 200*time.Millisecond {
				t.Errorf("Fetch gave up after %v, before its 200ms deadline", elapsed)
			}
			if elapsed > 5*time.Second {
				t.Errorf("Fetch took %v to time out with a 200ms deadline", elapsed)
			}
		})
	}
}

func TestFetchWindowedProfileGetsItsWindow(t *testing.T) {
	// A CPU profile of one second with a 200ms instant timeout may take
	// 1.5s+200ms: answering after 600ms must succeed.
	cpu := realProfile(t, "profile")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(600 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(cpu)
	}))
	t.Cleanup(srv.Close)
	f := NewFetcher(nil, 0, 200*time.Millisecond)
	res := f.Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "cpu", 1))
	if res.Err != nil {
		t.Fatalf("1s CPU profile answered after 600ms: %v", res.Err)
	}
	if got, want := f.deadline(mustProfile(t, "cpu", 10)), 15*time.Second+200*time.Millisecond; got != want {
		t.Errorf("deadline(cpu 10s) = %v, want %v", got, want)
	}
	if got, want := f.deadline(mustProfile(t, "heap", 10)), 200*time.Millisecond; got != want {
		t.Errorf("deadline(heap) = %v, want %v", got, want)
	}
}

// rawServer accepts connections on 127.0.0.1 and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	return ln.Addr().String()
}

// readRequestHead consumes the request up to the blank line.
func readRequestHead(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 0, 1024)
	one := make([]byte, 1)
	for !bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
		if _, err := c.Read(one); err != nil {
			return
		}
		buf = append(buf, one[0])
	}
}

func TestFetchConnectFailures(t *testing.T) {
	heap := realProfile(t, "heap")
	tests := []struct {
		name string
		addr func(t *testing.T) string
		msgs []string
	}{
		{
			name: "connection refused",
			addr: func(t *testing.T) string {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				return addr
			},
			msgs: []string{"cannot reach the target", "refused"},
		},
		{
			name: "closed without an answer",
			addr: func(t *testing.T) string {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						panic(err)
					}
					c.Close()
				}))
				t.Cleanup(srv.Close)
				return srv.Listener.Addr().String()
			},
			msgs: []string{"cannot reach the target"},
		},
		{
			name: "reset without an answer",
			addr: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequestHead(c)
					_ = c.(*net.TCPConn).SetLinger(0) // Close sends RST
				})
			},
			msgs: []string{"cannot reach the target"},
		},
		{
			name: "closed mid-body",
			addr: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequestHead(c)
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(heap))
					_, _ = c.Write(heap[:len(heap)/2])
				})
			},
			msgs: []string{"cannot reach the target", "EOF"},
		},
		{
			name: "reset mid-body",
			addr: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequestHead(c)
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(heap))
					_, _ = c.Write(heap[:len(heap)/2])
					_ = c.(*net.TCPConn).SetLinger(0) // Close sends RST
				})
			},
			msgs: []string{"cannot reach the target"},
		},
		{
			name: "not http",
			addr: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequestHead(c)
					_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				})
			},
			msgs: []string{"cannot reach the target", "malformed HTTP"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFetcher(nil, 0, 5*time.Second)
			res := f.Fetch(context.Background(), serverTarget(tc.addr(t)), mustProfile(t, "heap", 1))
			wantFetchError(t, res, ReasonConnect, tc.msgs...)
		})
	}
}

func TestFetchCanceled(t *testing.T) {
	errShutdown := errors.New("receiver shutting down")
	tests := []struct {
		name   string
		run    func(ctx context.Context, started <-chan struct{}, f func(context.Context) Result) Result
		reason string
		wantIs error
	}{
		{
			name: "canceled before the fetch",
			run: func(ctx context.Context, _ <-chan struct{}, f func(context.Context) Result) Result {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return f(ctx)
			},
			reason: ReasonCanceled,
			wantIs: context.Canceled,
		},
		{
			name: "canceled while the target works",
			run: func(ctx context.Context, started <-chan struct{}, f func(context.Context) Result) Result {
				ctx, cancel := context.WithCancel(ctx)
				go func() { <-started; cancel() }()
				return f(ctx)
			},
			reason: ReasonCanceled,
			wantIs: context.Canceled,
		},
		{
			name: "canceled with a cause",
			run: func(ctx context.Context, started <-chan struct{}, f func(context.Context) Result) Result {
				ctx, cancel := context.WithCancelCause(ctx)
				go func() { <-started; cancel(errShutdown) }()
				return f(ctx)
			},
			reason: ReasonCanceled,
			wantIs: errShutdown,
		},
		{
			name: "parent deadline passes first",
			run: func(ctx context.Context, _ <-chan struct{}, f func(context.Context) Result) Result {
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				return f(ctx)
			},
			reason: ReasonTimeout,
			wantIs: context.DeadlineExceeded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case started <- struct{}{}:
				default:
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })

			f := NewFetcher(nil, 0, 30*time.Second)
			tg := serverTarget(srv.Listener.Addr().String())
			start := time.Now()
			res := tc.run(context.Background(), started, func(ctx context.Context) Result {
				return f.Fetch(ctx, tg, mustProfile(t, "heap", 1))
			})
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Fetch took %v to notice its context ended", elapsed)
			}
			wantFetchError(t, res, tc.reason)
			if !errors.Is(res.Err, tc.wantIs) {
				t.Errorf("error %v does not wrap %v", res.Err, tc.wantIs)
			}
		})
	}
}

func TestFetchDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	heap := heapProfileBytes(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write(heap)
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)

	res := NewFetcher(nil, 0, 5*time.Second).Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1))
	wantFetchError(t, res, ReasonStatus, "HTTP 302")
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the fetch followed the target's redirect: the other server saw %d requests", n)
	}
}

func TestCaptureRunsProfilesConcurrently(t *testing.T) {
	profs, err := realProfiles()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Plan([]string{"heap", "goroutine", "cpu"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Each handler waits until every request of the plan is in flight (or
	// gives up after a while), so a sequential Capture shows max in-flight 1.
	// Later plan entries then answer first, so results arriving in
	// completion order would come out reversed.
	delay := map[string]time.Duration{"heap": 300 * time.Millisecond, "goroutine": 150 * time.Millisecond, "profile": 0}
	var inFlight, maxInFlight, arrived atomic.Int64
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		if arrived.Add(1) == int64(len(plan)) {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
			return
		}
		ep := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
		time.Sleep(delay[ep])
		_, _ = w.Write(profs[ep])
	}))
	t.Cleanup(srv.Close)

	f := NewFetcher(nil, 0, 10*time.Second)
	results := f.Capture(context.Background(), serverTarget(srv.Listener.Addr().String()), plan)
	if got := maxInFlight.Load(); got != int64(len(plan)) {
		t.Errorf("at most %d requests were in flight at once, want %d", got, len(plan))
	}
	if len(results) != len(plan) {
		t.Fatalf("%d results for a plan of %d", len(results), len(plan))
	}
	for i, p := range plan {
		r := results[i]
		if r.Profile != p {
			t.Errorf("results[%d] is %q, want %q (plan order)", i, r.Profile.Name, p.Name)
		}
		if r.Err != nil {
			t.Errorf("results[%d] (%s): %v", i, p.Name, r.Err)
			continue
		}
		if !bytes.Equal(r.Data, profs[p.Endpoint]) {
			t.Errorf("results[%d] (%s) holds other bytes than its endpoint served", i, p.Name)
		}
	}
}

func TestCaptureFailureDoesNotStopOthers(t *testing.T) {
	profs, err := realProfiles()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
		if ep == "mutex" {
			http.Error(w, "mutex profiling disabled", http.StatusNotFound)
			return
		}
		_, _ = w.Write(profs[ep])
	}))
	t.Cleanup(srv.Close)
	plan, err := Plan([]string{"heap", "mutex", "goroutine"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	results := NewFetcher(nil, 0, 5*time.Second).Capture(context.Background(), serverTarget(srv.Listener.Addr().String()), plan)
	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	for _, i := range []int{0, 2} {
		if results[i].Err != nil || !bytes.Equal(results[i].Data, profs[plan[i].Endpoint]) {
			t.Errorf("results[%d] (%s): err %v, %d bytes", i, plan[i].Name, results[i].Err, len(results[i].Data))
		}
	}
	wantFetchError(t, results[1], ReasonStatus, "HTTP 404", "mutex profiling disabled")
}

func TestCaptureEdgeCases(t *testing.T) {
	var hits atomic.Int64
	heap := heapProfileBytes(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(heap)
	}))
	t.Cleanup(srv.Close)
	tg := serverTarget(srv.Listener.Addr().String())
	f := NewFetcher(nil, 0, 5*time.Second)

	t.Run("empty plan", func(t *testing.T) {
		if res := f.Capture(context.Background(), tg, nil); len(res) != 0 {
			t.Errorf("Capture of an empty plan = %d results", len(res))
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("empty plan made %d requests", n)
		}
	})
	t.Run("canceled context fails every profile", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		plan, err := Plan([]string{"heap", "goroutine", "cpu"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		res := f.Capture(ctx, tg, plan)
		if len(res) != len(plan) {
			t.Fatalf("%d results, want %d", len(res), len(plan))
		}
		for i := range res {
			if res[i].Profile != plan[i] {
				t.Errorf("results[%d] is %q, want %q", i, res[i].Profile.Name, plan[i].Name)
			}
			wantFetchError(t, res[i], ReasonCanceled)
		}
	})
}

func TestNewFetcherDefaults(t *testing.T) {
	tests := []struct {
		name        string
		maxBytes    int64
		timeout     time.Duration
		wantMax     int64
		wantTimeout time.Duration
	}{
		{name: "zero values", wantMax: DefaultMaxBytes, wantTimeout: 30 * time.Second},
		{name: "negative values", maxBytes: -1, timeout: -time.Second, wantMax: DefaultMaxBytes, wantTimeout: 30 * time.Second},
		{name: "given values", maxBytes: 4096, timeout: time.Second, wantMax: 4096, wantTimeout: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFetcher(nil, tc.maxBytes, tc.timeout)
			if f.client == nil || f.maxBytes != tc.wantMax || f.timeout != tc.wantTimeout {
				t.Errorf("NewFetcher(nil, %d, %v) = client %v, max %d, timeout %v; want max %d, timeout %v",
					tc.maxBytes, tc.timeout, f.client, f.maxBytes, f.timeout, tc.wantMax, tc.wantTimeout)
			}
		})
	}
	if DefaultMaxBytes != 64<<20 {
		t.Errorf("DefaultMaxBytes = %d, want 64 MiB", DefaultMaxBytes)
	}
}
