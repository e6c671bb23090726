package store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// fakeClock is a settable clock for link expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLocalSignedLinks(t *testing.T) {
	const key = "incidents/2024/01/02/id/static/127.0.0.1-6060/heap.pb.gz"
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srvURL := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r) // replaced below once the store knows the URL
	}))
	t.Cleanup(srv.Close)
	srvURL = srv.URL
	l, err := NewLocal(t.TempDir(), srvURL, WithLinkKey([]byte("test-key-0123456789")), WithLinkExpiry(time.Hour), WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.StripPrefix("/artifacts", l)
	if err := l.Put(context.Background(), key, []byte("profile bytes"), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	other, err := NewLocal(t.TempDir(), srvURL, WithLinkKey([]byte("another-key")), WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}

	get := func(t *testing.T, link string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	link := l.Link(key)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	withQuery := func(mod func(url.Values)) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		mod(v)
		c := *u
		c.RawQuery = v.Encode()
		return c.String()
	}
	tests := []struct {
		name string
		link string
		want int
	}{
		{name: "link as made", link: link, want: http.StatusOK},
		{name: "no query", link: strings.Split(link, "?")[0], want: http.StatusForbidden},
		{name: "no sig", link: withQuery(func(v url.Values) { v.Del("sig") }), want: http.StatusForbidden},
		{name: "sig not hex", link: withQuery(func(v url.Values) { v.Set("sig", "zz") }), want: http.StatusForbidden},
		{name: "one bit off", link: withQuery(func(v url.Values) {
			s := []byte(v.Get("sig"))
			s[0] ^= 1
			v.Set("sig", string(s))
		}), want: http.StatusForbidden},
		{name: "exp moved later", link: withQuery(func(v url.Values) { v.Set("exp", "99999999999") }), want: http.StatusForbidden},
		{name: "signed with another key", link: other.Link(key), want: http.StatusForbidden},
		{name: "sig of another key", link: strings.Replace(l.Link("incidents/other"), "incidents/other", key, 1), want: http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, tc.link)
			if code != tc.want {
				t.Fatalf("GET %s: %d, want %d", tc.link, code, tc.want)
			}
			if tc.want == http.StatusOK && body != "profile bytes" {
				t.Fatalf("body %q", body)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		clock.add(59 * time.Minute)
		if code, _ := get(t, link); code != http.StatusOK {
			t.Fatalf("before expiry: %d, want 200", code)
		}
		clock.add(time.Minute)
		if code, _ := get(t, link); code != http.StatusForbidden {
			t.Fatalf("at expiry: %d, want 403", code)
		}
		if code, _ := get(t, l.Link(key)); code != http.StatusOK {
			t.Fatalf("a fresh link: %d, want 200", code)
		}
	})
}

func TestNewLocalRandomKeysDiffer(t *testing.T) {
	a := newLocal(t, "http://x")
	b := newLocal(t, "http://x")
	if a.Link("k") == b.Link("k") {
		t.Fatal("two stores without a configured key sign identically")
	}
}
