package capture

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newStatic(t *testing.T, cidrs []string) *Static {
	t.Helper()
	s, err := NewStatic(cidrs, "/debug/pprof")
	if err != nil {
		t.Fatalf("NewStatic(%q): %v", cidrs, err)
	}
	return s
}

func TestDefaultAllowedCIDRsAreLoopbackOnly(t *testing.T) {
	want := map[string]bool{"127.0.0.0/8": true, "::1/128": true}
	if len(DefaultAllowedCIDRs) != len(want) {
		t.Fatalf("DefaultAllowedCIDRs = %q, want exactly %v", DefaultAllowedCIDRs, want)
	}
	for _, c := range DefaultAllowedCIDRs {
		if !want[c] {
			t.Errorf("DefaultAllowedCIDRs contains %q, want loopback only", c)
		}
	}
}

func TestStaticResolve(t *testing.T) {
	tests := []struct {
		name     string
		cidrs    []string // nil means DefaultAllowedCIDRs
		instance string
		wantAddr string
		wantPod  string
	}{
		{name: "ipv4 loopback", instance: "127.0.0.1:6060", wantAddr: "127.0.0.1:6060", wantPod: "127.0.0.1-6060"},
		{name: "ipv4 loopback other host", instance: "127.8.9.10:1", wantAddr: "127.8.9.10:1", wantPod: "127.8.9.10-1"},
		{name: "ipv4 loopback top of range", instance: "127.255.255.255:65535", wantAddr: "127.255.255.255:65535", wantPod: "127.255.255.255-65535"},
		{name: "ipv6 loopback", instance: "[::1]:6060", wantAddr: "[::1]:6060", wantPod: "__1-6060"},
		{name: "ipv6 loopback long form", instance: "[0:0:0:0:0:0:0:1]:6060", wantAddr: "[::1]:6060", wantPod: "__1-6060"},
		{name: "ipv4-mapped ipv6 loopback is unmapped", instance: "[::ffff:127.0.0.1]:6060", wantAddr: "127.0.0.1:6060", wantPod: "127.0.0.1-6060"},
		{name: "localhost means 127.0.0.1", instance: "localhost:6060", wantAddr: "127.0.0.1:6060", wantPod: "127.0.0.1-6060"},
		{name: "private range when configured", cidrs: []string{"10.0.0.0/8"}, instance: "10.1.2.3:6060", wantAddr: "10.1.2.3:6060", wantPod: "10.1.2.3-6060"},
		{name: "unmasked cidr is masked", cidrs: []string{"10.1.2.3/8"}, instance: "10.200.0.1:80", wantAddr: "10.200.0.1:80", wantPod: "10.200.0.1-80"},
		{name: "second of several cidrs", cidrs: []string{"192.168.0.0/16", "fd00::/8"}, instance: "[fd12::7]:8080", wantAddr: "[fd12::7]:8080", wantPod: "fd12__7-8080"},
		{name: "leading zeros in port are canonicalised", instance: "127.0.0.1:06060", wantAddr: "127.0.0.1:6060", wantPod: "127.0.0.1-6060"},
		{name: "plus sign in port is canonicalised", instance: "127.0.0.1:+6060", wantAddr: "127.0.0.1:6060", wantPod: "127.0.0.1-6060"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cidrs := tc.cidrs
			if cidrs == nil {
				cidrs = DefaultAllowedCIDRs
			}
			s := newStatic(t, cidrs)
			got, err := s.Resolve(context.Background(), map[string]string{"instance": tc.instance, "job": "x"})
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.instance, err)
			}
			if len(got) != 1 {
				t.Fatalf("Resolve(%q) = %d targets, want 1: %+v", tc.instance, len(got), got)
			}
			want := Target{Namespace: "static", Pod: tc.wantPod, Address: tc.wantAddr, Scheme: "http", Path: "/debug/pprof"}
			if got[0] != want {
				t.Errorf("Resolve(%q) = %+v, want %+v", tc.instance, got[0], want)
			}
			if _, _, err := net.SplitHostPort(got[0].Address); err != nil {
				t.Errorf("Address %q is not host:port: %v", got[0].Address, err)
			}
		})
	}
}

func TestStaticResolveRefuses(t *testing.T) {
	tests := []struct {
		name    string
		cidrs   []string // nil means DefaultAllowedCIDRs
		labels  map[string]string
		wantMsg string // the reason, as the report will show it
	}{
		{name: "no labels", labels: nil, wantMsg: "no instance label"},
		{name: "no instance label", labels: map[string]string{"pod": "api-0", "job": "api"}, wantMsg: "no instance label"},
		{name: "empty instance label", labels: map[string]string{"instance": ""}, wantMsg: "no instance label"},
		{name: "ipv4 outside loopback", labels: map[string]string{"instance": "10.1.2.3:6060"}, wantMsg: "instance 10.1.2.3 is outside the allowed CIDRs"},
		{name: "ipv4 unspecified", labels: map[string]string{"instance": "0.0.0.0:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "ipv4 link-local metadata", labels: map[string]string{"instance": "169.254.169.254:80"}, wantMsg: "outside the allowed CIDRs"},
		{name: "ipv6 outside loopback", labels: map[string]string{"instance": "[2001:db8::1]:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "ipv6 unspecified", labels: map[string]string{"instance": "[::]:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "ipv4-mapped outside loopback", labels: map[string]string{"instance": "[::ffff:10.1.2.3]:6060"}, wantMsg: "instance 10.1.2.3 is outside the allowed CIDRs"},
		{name: "ipv6 with zone", labels: map[string]string{"instance": "[fe80::1%eth0]:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "loopback when only 10/8 allowed", cidrs: []string{"10.0.0.0/8"}, labels: map[string]string{"instance": "127.0.0.1:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "localhost when only 10/8 allowed", cidrs: []string{"10.0.0.0/8"}, labels: map[string]string{"instance": "localhost:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "just outside a /24", cidrs: []string{"192.168.1.0/24"}, labels: map[string]string{"instance": "192.168.2.1:80"}, wantMsg: "outside the allowed CIDRs"},
		{name: "nothing allowed", cidrs: []string{}, labels: map[string]string{"instance": "127.0.0.1:6060"}, wantMsg: "outside the allowed CIDRs"},
		{name: "dns name", labels: map[string]string{"instance": "example.com:80"}, wantMsg: `host "example.com" is not an IP address (names are not looked up)`},
		{name: "cloud metadata name", labels: map[string]string{"instance": "metadata.google.internal:80"}, wantMsg: "not an IP address"},
		{name: "localhost with trailing dot", labels: map[string]string{"instance": "localhost.:6060"}, wantMsg: "not an IP address"},
		{name: "localhost upper case", labels: map[string]string{"instance": "LOCALHOST:6060"}, wantMsg: "not an IP address"},
		{name: "short ipv4 form", labels: map[string]string{"instance": "127.1:6060"}, wantMsg: "not an IP address"},
		{name: "hex ipv4 form", labels: map[string]string{"instance": "0x7f.0.0.1:6060"}, wantMsg: "not an IP address"},
		{name: "empty host", labels: map[string]string{"instance": ":6060"}, wantMsg: "not an IP address"},
		{name: "url with path", labels: map[string]string{"instance": "http://127.0.0.1:6060/x"}, wantMsg: `instance "http://127.0.0.1:6060/x" is not host:port`},
		{name: "url without path", labels: map[string]string{"instance": "http://127.0.0.1:6060"}, wantMsg: "not host:port"},
		{name: "no port", labels: map[string]string{"instance": "127.0.0.1"}, wantMsg: "not host:port"},
		{name: "bare ipv6 without brackets", labels: map[string]string{"instance": "::1"}, wantMsg: "not host:port"},
		{name: "port zero", labels: map[string]string{"instance": "127.0.0.1:0"}, wantMsg: "invalid port"},
		{name: "port too large", labels: map[string]string{"instance": "127.0.0.1:70000"}, wantMsg: `instance "127.0.0.1:70000" has an invalid port`},
		{name: "port 65536", labels: map[string]string{"instance": "127.0.0.1:65536"}, wantMsg: "invalid port"},
		{name: "negative port", labels: map[string]string{"instance": "127.0.0.1:-1"}, wantMsg: "invalid port"},
		{name: "port not a number", labels: map[string]string{"instance": "127.0.0.1:abc"}, wantMsg: "invalid port"},
		{name: "empty port", labels: map[string]string{"instance": "127.0.0.1:"}, wantMsg: "invalid port"},
		{name: "named port", labels: map[string]string{"instance": "127.0.0.1:http"}, wantMsg: "invalid port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cidrs := tc.cidrs
			if cidrs == nil {
				cidrs = DefaultAllowedCIDRs
			}
			s := newStatic(t, cidrs)
			got, err := s.Resolve(context.Background(), tc.labels)
			if err == nil {
				t.Fatalf("Resolve(%v) = %+v, want an error", tc.labels, got)
			}
			if got != nil {
				t.Errorf("Resolve(%v) returned targets %+v alongside error %v", tc.labels, got, err)
			}
			if !errors.Is(err, ErrNoTarget) {
				t.Errorf("Resolve(%v) error %v does not wrap ErrNoTarget", tc.labels, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Resolve(%v) error %q does not say %q", tc.labels, err, tc.wantMsg)
			}
		})
	}
}

func TestNewStaticRejectsBadCIDR(t *testing.T) {
	tests := []struct {
		name  string
		cidrs []string
	}{
		{name: "plain address", cidrs: []string{"127.0.0.1"}},
		{name: "garbage", cidrs: []string{"loopback"}},
		{name: "bad prefix length", cidrs: []string{"10.0.0.0/33"}},
		{name: "good then bad", cidrs: []string{"127.0.0.0/8", "::1/129"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewStatic(tc.cidrs, "/debug/pprof")
			if err == nil {
				t.Fatalf("NewStatic(%q) = %+v, want an error", tc.cidrs, s)
			}
			if !strings.Contains(err.Error(), "allowed cidr") {
				t.Errorf("NewStatic(%q) error %q does not say which setting is wrong", tc.cidrs, err)
			}
		})
	}
}

// TestStaticResolveDoesNoLookup swaps the process's default resolver for one
// that records every DNS query it would send, and checks that refusing DNS
// names sends none. It first shows the recorder does see a real lookup, so
// the test cannot pass just because nothing was wired up.
func TestStaticResolveDoesNoLookup(t *testing.T) {
	var dials atomic.Int64
	orig := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("dns is disabled in this test")
		},
	}
	t.Cleanup(func() { net.DefaultResolver = orig })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = net.DefaultResolver.LookupHost(ctx, "alertprof-probe.example.com")
	if dials.Load() == 0 {
		t.Fatal("the recording resolver saw no query for a real lookup; it cannot detect lookups")
	}
	dials.Store(0)

	s := newStatic(t, DefaultAllowedCIDRs)
	for _, inst := range []string{"example.com:80", "metadata.google.internal:80", "alertprof-probe.example.com:6060", "localhost.:6060"} {
		t.Run(inst, func(t *testing.T) {
			if _, err := s.Resolve(ctx, map[string]string{"instance": inst}); !errors.Is(err, ErrNoTarget) {
				t.Fatalf("Resolve(%q) error = %v, want ErrNoTarget", inst, err)
			}
			if n := dials.Load(); n != 0 {
				t.Errorf("Resolve(%q) sent %d DNS queries, want none", inst, n)
			}
		})
	}
}

// TestRefusedLabelNeverFetches runs the whole path from alert labels to
// fetch against a counting server on 127.0.0.1 while only 10.0.0.0/8 is
// allowed: the server must see no request at all. The control case allows
// loopback and must see requests, which proves the counter counts.
func TestRefusedLabelNeverFetches(t *testing.T) {
	var hits atomic.Int64
	heap := heapProfileBytes(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(heap)
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}

	plan, err := Plan([]string{"heap", "goroutine"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFetcher(nil, 0, 5*time.Second)

	// captureFromLabels is the only route from an alert to a fetch: resolve,
	// then capture from each target resolved.
	captureFromLabels := func(s *Static, labels map[string]string) ([]Result, error) {
		targets, err := s.Resolve(context.Background(), labels)
		if err != nil {
			return nil, err
		}
		var out []Result
		for _, tg := range targets {
			out = append(out, f.Capture(context.Background(), tg, plan)...)
		}
		return out, nil
	}

	refused := []struct {
		name     string
		instance string
	}{
		{name: "server address", instance: srv.Listener.Addr().String()},
		{name: "localhost", instance: "localhost:" + port},
		{name: "mapped loopback", instance: "[::ffff:127.0.0.1]:" + port},
		{name: "url", instance: srv.URL},
	}
	only10 := newStatic(t, []string{"10.0.0.0/8"})
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			res, err := captureFromLabels(only10, map[string]string{"instance": tc.instance})
			if !errors.Is(err, ErrNoTarget) {
				t.Fatalf("instance %q: error = %v, want ErrNoTarget", tc.instance, err)
			}
			if len(res) != 0 {
				t.Errorf("instance %q: %d results from a refused target", tc.instance, len(res))
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("instance %q: server outside the allowed CIDRs saw %d requests, want 0", tc.instance, n)
			}
		})
	}

	t.Run("control: loopback allowed", func(t *testing.T) {
		res, err := captureFromLabels(newStatic(t, DefaultAllowedCIDRs), map[string]string{"instance": srv.Listener.Addr().String()})
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Errorf("%s: %v", r.Profile.Name, r.Err)
			}
		}
		if n := hits.Load(); n != int64(len(plan)) {
			t.Errorf("server saw %d requests, want %d", n, len(plan))
		}
	})
}

func TestTargetURL(t *testing.T) {
	tests := []struct {
		name   string
		target Target
		ep     string
		query  string
		want   string
	}{
		{name: "plain", target: Target{Address: "127.0.0.1:6060", Scheme: "http", Path: "/debug/pprof"}, ep: "heap", want: "http://127.0.0.1:6060/debug/pprof/heap"},
		{name: "trailing slash in path", target: Target{Address: "127.0.0.1:6060", Scheme: "http", Path: "/debug/pprof/"}, ep: "heap", want: "http://127.0.0.1:6060/debug/pprof/heap"},
		{name: "empty scheme is http", target: Target{Address: "127.0.0.1:6060", Path: "/debug/pprof"}, ep: "goroutine", want: "http://127.0.0.1:6060/debug/pprof/goroutine"},
		{name: "https", target: Target{Address: "[::1]:443", Scheme: "https", Path: "/pprof"}, ep: "profile", query: "seconds=5", want: "https://[::1]:443/pprof/profile?seconds=5"},
		{name: "empty path", target: Target{Address: "127.0.0.1:80", Scheme: "http"}, ep: "heap", want: "http://127.0.0.1:80/heap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.target.URL(tc.ep, tc.query); got != tc.want {
				t.Errorf("URL(%q, %q) = %q, want %q", tc.ep, tc.query, got, tc.want)
			}
		})
	}
}

func TestTargetKeyAndString(t *testing.T) {
	tg := Target{Namespace: "static", Pod: "127.0.0.1-6060", Address: "127.0.0.1:6060"}
	if got, want := tg.Key(), "static/127.0.0.1-6060"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	if got, want := tg.String(), "static/127.0.0.1-6060 (127.0.0.1:6060)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestStaticTargetKey: the key named without resolving is the one
// Resolve gives, and an alert Resolve refuses is not named.
func TestStaticTargetKey(t *testing.T) {
	s, err := NewStatic(DefaultAllowedCIDRs, "/debug/pprof")
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{"127.0.0.1:6060", "localhost:06060", "[::1]:7070"} {
		labels := map[string]string{"instance": inst}
		ts, err := s.Resolve(context.Background(), labels)
		if err != nil {
			t.Fatal(err)
		}
		if key, ok := s.TargetKey(labels); !ok || key != ts[0].Key() {
			t.Errorf("TargetKey(%s) = %q, %v; want %q", inst, key, ok, ts[0].Key())
		}
	}
	for _, inst := range []string{"", "10.1.2.3:6060", "metadata.internal:80"} {
		if key, ok := s.TargetKey(map[string]string{"instance": inst}); ok {
			t.Errorf("TargetKey(%q) = %q; want none", inst, key)
		}
	}
}
