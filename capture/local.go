package capture

import (
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
)

// Local keeps artifacts in a directory on disk. It is the default store:
// it needs nothing but a writable path.
type Local struct {
	dir     string
	baseURL string
}

// NewLocal creates dir if needed. baseURL, when set, is where serve is
// reachable (e.g. "https://alertprof.example.com"); links then point to
// <baseURL>/artifacts/<key>. Without it links are absolute file paths.
func NewLocal(dir, baseURL string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	return &Local{dir: abs, baseURL: strings.TrimRight(baseURL, "/")}, nil
}

// Dir is the absolute directory the store writes under.
func (l *Local) Dir() string { return l.dir }

// Put writes r under key atomically: readers never see a partial file.
func (l *Local) Put(_ context.Context, key string, r io.Reader) error {
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

// Link says where a person finds the artifact.
func (l *Local) Link(key string) string {
	if l.baseURL != "" {
		return l.baseURL + "/artifacts/" + (&url.URL{Path: key}).EscapedPath()
	}
	path, err := l.path(key)
	if err != nil {
		return ""
	}
	return path
}

// ServeHTTP serves one artifact; the request path is the key. Directories
// are not listed.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	path, err := l.path(key)
	if err != nil {
		http.NotFound(w, r)
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
