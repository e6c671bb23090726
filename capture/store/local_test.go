package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

func newLocal(t *testing.T, baseURL string) *Local {
	t.Helper()
	l, err := NewLocal(t.TempDir(), baseURL)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// tmpFiles lists every file under dir whose name starts with ".tmp-".
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNewLocal(t *testing.T) {
	t.Run("creates a nested directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		l, err := NewLocal(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("store directory %s not created: %v", dir, err)
		}
		if l.Dir() != dir {
			t.Errorf("Dir() = %q, want %q", l.Dir(), dir)
		}
	})
	t.Run("relative dir becomes absolute", func(t *testing.T) {
		t.Chdir(t.TempDir())
		l, err := NewLocal("rel", "")
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(l.Dir()) || filepath.Base(l.Dir()) != "rel" {
			t.Errorf("Dir() = %q, want an absolute path ending in rel", l.Dir())
		}
	})
	t.Run("dir is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := NewLocal(f, ""); err == nil {
			t.Error("NewLocal on a regular file succeeded, want an error")
		}
	})
}

func TestLocalPutGetRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		key  string
		data []byte
	}{
		{name: "artifact key", key: "incidents/2024/01/02/id/static/127.0.0.1-6060/heap.pb.gz", data: []byte("\x1f\x8b\x08\x00binary\x00\xff")},
		{name: "top level", key: "incident.json", data: []byte(`{"id":"x"}`)},
		{name: "empty body", key: "a/empty", data: []byte{}},
		{name: "large body", key: "a/large", data: bytes.Repeat([]byte{0, 1, 2, 3, 254, 255}, 200_000)},
		{name: "trailing dots in a segment", key: "a./b..", data: []byte("x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLocal(t, "")
			ctx := context.Background()
			if err := l.Put(ctx, tc.key, tc.data, capture.Meta{}); err != nil {
				t.Fatalf("Put(%q): %v", tc.key, err)
			}
			rc, err := l.Get(ctx, tc.key)
			if err != nil {
				t.Fatalf("Get(%q): %v", tc.key, err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("Get(%q) returned %d bytes, want the %d bytes put", tc.key, len(got), len(tc.data))
			}
			onDisk, err := os.ReadFile(filepath.Join(l.Dir(), filepath.FromSlash(tc.key)))
			if err != nil || !bytes.Equal(onDisk, tc.data) {
				t.Errorf("file for %q on disk: %d bytes, err %v; want the %d bytes put", tc.key, len(onDisk), err, len(tc.data))
			}
			if left := tmpFiles(t, l.Dir()); len(left) != 0 {
				t.Errorf("Put left temporary files: %q", left)
			}
		})
	}
}

func TestLocalPutOverwrites(t *testing.T) {
	l := newLocal(t, "")
	ctx := context.Background()
	for _, v := range []string{"first", "second, longer", "3"} {
		if err := l.Put(ctx, "a/b", []byte(v), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		got := readKey(t, l, "a/b")
		if got != v {
			t.Errorf("after Put(%q), Get = %q", v, got)
		}
	}
}

// failingReader yields some bytes, then an error, as a broken upload would.
type failingReader struct{ sent bool }

var errUpload = errors.New("upload broke")

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errUpload
}

func TestLocalPutIsAtomic(t *testing.T) {
	t.Run("failed put of a new key leaves nothing", func(t *testing.T) {
		l := newLocal(t, "")
		err := l.write("a/new", &failingReader{})
		if !errors.Is(err, errUpload) {
			t.Fatalf("Put error = %v, want it to wrap %v", err, errUpload)
		}
		if _, err := l.Get(context.Background(), "a/new"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get after failed Put: err = %v, want not-exist", err)
		}
		if left := tmpFiles(t, l.Dir()); len(left) != 0 {
			t.Errorf("failed Put left temporary files: %q", left)
		}
	})
	t.Run("failed overwrite keeps the old bytes", func(t *testing.T) {
		l := newLocal(t, "")
		if err := l.Put(context.Background(), "a/old", []byte("complete"), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := l.write("a/old", &failingReader{}); !errors.Is(err, errUpload) {
			t.Fatalf("Put error = %v, want it to wrap %v", err, errUpload)
		}
		if got := readKey(t, l, "a/old"); got != "complete" {
			t.Errorf("after a failed overwrite Get = %q, want %q", got, "complete")
		}
		if left := tmpFiles(t, l.Dir()); len(left) != 0 {
			t.Errorf("failed Put left temporary files: %q", left)
		}
	})
	t.Run("reader sees no partial file while writing", func(t *testing.T) {
		l := newLocal(t, "")
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() { done <- l.write("a/slow", pr) }()
		if _, err := pw.Write([]byte("half")); err != nil {
			t.Fatal(err)
		}
		// The first half has been consumed by Put; the key must not exist yet.
		if _, err := l.Get(context.Background(), "a/slow"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get during Put: err = %v, want not-exist", err)
		}
		if _, err := pw.Write([]byte("+rest")); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := readKey(t, l, "a/slow"); got != "half+rest" {
			t.Errorf("Get = %q, want %q", got, "half+rest")
		}
	})
}

func readKey(t *testing.T, l *Local, key string) string {
	t.Helper()
	rc, err := l.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var invalidKeys = []string{
	"",
	"../x",
	"..",
	".",
	"/abs",
	"/etc/passwd",
	"a/../b",
	"a/./b",
	"a//b",
	"a/",
	"a/.hidden",
	".hidden",
	"a/.tmp-123",
	`a\b`,
	`..\x`,
	"a/b/..",
}

func TestLocalRefusesInvalidKeys(t *testing.T) {
	for _, key := range invalidKeys {
		t.Run(key, func(t *testing.T) {
			root := t.TempDir()
			l, err := NewLocal(filepath.Join(root, "store"), "")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := l.Put(ctx, key, []byte("evil"), capture.Meta{}); !errors.Is(err, errBadKey) {
				t.Errorf("Put(%q) error = %v, want errBadKey", key, err)
			}
			if rc, err := l.Get(ctx, key); !errors.Is(err, errBadKey) {
				if rc != nil {
					rc.Close()
				}
				t.Errorf("Get(%q) error = %v, want errBadKey", key, err)
			}
			if l.Link(key) != "" {
				t.Errorf("Link(%q) = %q without baseURL, want empty", key, l.Link(key))
			}
			// Nothing was written anywhere under the parent directory but
			// the empty store itself.
			var written []string
			_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					written = append(written, p)
				}
				return nil
			})
			if len(written) != 0 {
				t.Errorf("Put(%q) wrote %q", key, written)
			}
		})
	}
}

func TestLocalServeHTTP(t *testing.T) {
	root := t.TempDir()
	l, err := NewLocal(filepath.Join(root, "store"), "")
	if err != nil {
		t.Fatal(err)
	}
	profile := []byte("\x1f\x8b\x08\x00 not really a profile <html> \x00\xff")
	const key = "incidents/2024/01/02/id/static/127.0.0.1-6060/heap.pb.gz"
	if err := l.Put(context.Background(), key, profile, capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	// Files a traversal would reach: next to the store and inside it, hidden.
	if err := os.WriteFile(filepath.Join(root, "secret"), []byte("SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.Dir(), "incidents", ".tmp-123"), []byte("SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		target     string // request target, sent as-is
		signed     bool   // append a valid signature for the target's path
		wantStatus int
		wantBody   []byte // nil: only check the status and that SECRET is absent
	}{
		{name: "stored file", target: "/" + key, signed: true, wantStatus: http.StatusOK, wantBody: profile},
		{name: "stored file unsigned", target: "/" + key, wantStatus: http.StatusForbidden},
		{name: "missing key", target: "/incidents/2024/01/02/id/static/127.0.0.1-6060/cpu.pb.gz", signed: true, wantStatus: http.StatusNotFound},
		{name: "directory", target: "/incidents/2024/01/02/id", signed: true, wantStatus: http.StatusNotFound},
		{name: "signed traversal", target: "/../secret", signed: true, wantStatus: http.StatusNotFound},
		{name: "signed encoded traversal", target: "/..%2fsecret", signed: true, wantStatus: http.StatusNotFound},
		{name: "directory with slash", target: "/incidents/2024/01/02/id/", wantStatus: http.StatusNotFound},
		{name: "root", target: "/", wantStatus: http.StatusNotFound},
		{name: "encoded traversal", target: "/..%2f..%2fetc/passwd", wantStatus: http.StatusNotFound},
		{name: "encoded traversal to sibling", target: "/..%2fsecret", wantStatus: http.StatusNotFound},
		{name: "plain traversal to sibling", target: "/../secret", wantStatus: http.StatusNotFound},
		{name: "encoded dots", target: "/%2e%2e/secret", wantStatus: http.StatusNotFound},
		{name: "traversal inside key", target: "/incidents/../../secret", wantStatus: http.StatusNotFound},
		{name: "hidden temp file", target: "/incidents/.tmp-123", wantStatus: http.StatusNotFound},
		{name: "backslash", target: `/incidents\..\..\secret`, wantStatus: http.StatusNotFound},
		{name: "double slash", target: "//" + key, wantStatus: http.StatusNotFound},
	}
	for i, tc := range tests {
		if tc.signed {
			p, err := url.PathUnescape(strings.TrimPrefix(tc.target, "/"))
			if err != nil {
				t.Fatal(err)
			}
			tests[i].target += "?" + l.signer.query(p)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET %s: status %d, want %d (body %q)", tc.target, rec.Code, tc.wantStatus, rec.Body.String())
			}
			if bytes.Contains(rec.Body.Bytes(), []byte("SECRET")) {
				t.Fatalf("GET %s served a file outside the store", tc.target)
			}
			if tc.wantBody != nil && !bytes.Equal(rec.Body.Bytes(), tc.wantBody) {
				t.Errorf("GET %s: body is %d bytes, not the %d bytes stored", tc.target, rec.Body.Len(), len(tc.wantBody))
			}
			if tc.wantStatus == http.StatusOK {
				if ct := rec.Header().Get("Content-Type"); ct != "application/octet-stream" {
					t.Errorf("Content-Type = %q, want application/octet-stream", ct)
				}
				if v := rec.Header().Get("X-Content-Type-Options"); v != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want nosniff", v)
				}
			}
		})
	}

	// The same over a real connection, where the client sends the path
	// exactly as written and no mux cleans it first.
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	for _, tc := range tests {
		t.Run("http/"+tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("GET %s: status %d, want %d", tc.target, resp.StatusCode, tc.wantStatus)
			}
			if bytes.Contains(body, []byte("SECRET")) {
				t.Fatalf("GET %s served a file outside the store", tc.target)
			}
			if tc.wantBody != nil && !bytes.Equal(body, tc.wantBody) {
				t.Errorf("GET %s: body is %d bytes, not the %d bytes stored", tc.target, len(body), len(tc.wantBody))
			}
		})
	}
}

func TestLocalLink(t *testing.T) {
	const key = "incidents/2024/01/02/id/static/127.0.0.1-6060/heap.pb.gz"
	t.Run("without baseURL is the absolute path", func(t *testing.T) {
		l := newLocal(t, "")
		got := l.Link(key)
		if !filepath.IsAbs(got) {
			t.Errorf("Link = %q, want an absolute path", got)
		}
		if want := filepath.Join(l.Dir(), filepath.FromSlash(key)); got != want {
			t.Errorf("Link = %q, want %q", got, want)
		}
		if err := l.Put(context.Background(), key, []byte("x"), capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(got); err != nil || string(b) != "x" {
			t.Errorf("reading Link path %s: %q, %v", got, b, err)
		}
	})
	tests := []struct {
		name    string
		baseURL string
		key     string
		want    string
	}{
		{name: "base url", baseURL: "https://alertprof.example.com", key: key, want: "https://alertprof.example.com/artifacts/" + key},
		{name: "base url with trailing slash", baseURL: "https://alertprof.example.com/", key: key, want: "https://alertprof.example.com/artifacts/" + key},
		{name: "base url with path", baseURL: "http://127.0.0.1:8080/prof", key: "a/b", want: "http://127.0.0.1:8080/prof/artifacts/a/b"},
		{name: "key is escaped", baseURL: "https://x.example", key: "a/b c#?", want: "https://x.example/artifacts/a/b%20c%23%3F"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLocal(t, tc.baseURL)
			got := l.Link(tc.key)
			base, query, _ := strings.Cut(got, "?")
			if base != tc.want {
				t.Errorf("Link(%q) = %q, want %q plus a signature", tc.key, got, tc.want)
			}
			q, err := url.ParseQuery(query)
			if err != nil || q.Get("exp") == "" || q.Get("sig") == "" {
				t.Errorf("Link(%q) = %q has no exp and sig parameters", tc.key, got)
			}
		})
	}
}
