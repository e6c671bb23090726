package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// Local keeps artifacts in a directory on disk. It is the default store:
// it needs nothing but a writable path.
type Local struct {
	dir     string
	baseURL string
	signer  linkSigner
}

// LocalOption changes how a Local store signs its links.
type LocalOption func(*Local)

// WithLinkKey sets the HMAC key that signs links. Without it a random key
// is made, and links stop working when the process restarts.
func WithLinkKey(key []byte) LocalOption {
	return func(l *Local) { l.signer.key = append([]byte(nil), key...) }
}

// WithLinkExpiry sets how long a link stays valid (default MaxLinkExpiry).
func WithLinkExpiry(d time.Duration) LocalOption {
	return func(l *Local) { l.signer.expiry = d }
}

// WithClock replaces time.Now for signing and checking links.
func WithClock(now func() time.Time) LocalOption {
	return func(l *Local) { l.signer.now = now }
}

// NewLocal creates dir if needed. baseURL, when set, is where serve is
// reachable (e.g. "https://alertprof.example.com"); links then point to
// <baseURL>/artifacts/<key>?exp=<unix>&sig=<hmac>, and ServeHTTP refuses
// any request whose signature is missing, wrong or expired. Without
// baseURL links are absolute file paths.
func NewLocal(dir, baseURL string, opts ...LocalOption) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	l := &Local{dir: abs, baseURL: strings.TrimRight(baseURL, "/"),
		signer: linkSigner{expiry: MaxLinkExpiry, now: time.Now}}
	for _, o := range opts {
		o(l)
	}
	if len(l.signer.key) == 0 {
		if l.signer.key, err = NewLinkKey(); err != nil {
			return nil, err
		}
	}
	if l.signer.expiry <= 0 {
		return nil, errors.New("local store: link expiry must be positive")
	}
	return l, nil
}

// Dir is the absolute directory the store writes under.
func (l *Local) Dir() string { return l.dir }

// Put writes data under key atomically: readers never see a partial
// file. The metadata is not kept: the key already names the incident, pod
// and profile.
func (l *Local) Put(_ context.Context, key string, data []byte, _ capture.Meta) error {
	return l.write(key, bytes.NewReader(data))
}

// write copies r to a temporary file beside key's and renames it into
// place, so a failed or slow write never shows as a partial file.
func (l *Local) write(key string, r io.Reader) error {
	path, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get opens the artifact stored under key.
func (l *Local) Get(_ context.Context, key string) (io.ReadCloser, error) {
	path, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return f, nil
}

// Link says where a person finds the artifact: a signed, expiring URL
// under baseURL, or the file's path when there is no baseURL.
func (l *Local) Link(key string) string {
	if l.baseURL != "" {
		if _, err := l.path(key); err != nil {
			return ""
		}
		return l.baseURL + "/artifacts/" + (&url.URL{Path: key}).EscapedPath() + "?" + l.signer.query(key)
	}
	path, err := l.path(key)
	if err != nil {
		return ""
	}
	return path
}

// ServeHTTP serves one artifact; the request path is the key and the
// query must carry a valid signature (see Link): 404 for a key that cannot
// exist, 403 for a missing, wrong or expired signature, then 404 if there
// is no such file. Directories are not listed.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	path, err := l.path(key)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if err := l.signer.verify(key, r.URL.Query()); err != nil {
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFile(w, r, path)
}

var errBadKey = errors.New("invalid artifact key")

func (l *Local) path(key string) (string, error) {
	if key == "" || !fs.ValidPath(key) || strings.Contains(key, "\\") {
		return "", fmt.Errorf("%w: %q", errBadKey, key)
	}
	for _, part := range strings.Split(key, "/") {
		if strings.HasPrefix(part, ".") {
			return "", fmt.Errorf("%w: %q", errBadKey, key)
		}
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}
