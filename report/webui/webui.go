// Package webui serves google/pprof's own web interface (flame graph, top,
// peek, the graph view) for profiles kept in alertprof's artifact store,
// behind signed, expiring links.
//
// A link is <base>/ui/<exp>/<sig>/<artifact key>/flamegraph: the expiry
// and signature sit in the path, so pprof's relative links (./top,
// ./peek?f=...) stay signed as a person navigates. Profiles are opened on
// demand and kept in a small LRU of open profiles.
package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/capture/store"
)

// Store reads back what the pipeline stored. A missing key is an error
// wrapping fs.ErrNotExist.
type Store interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Prefix is where the handler is mounted; links are built under it.
const Prefix = "/ui"

// Config holds the UI's settings; zero values take the defaults.
type Config struct {
	// BaseURL is where people reach alertprof ("https://alertprof.example.com");
	// without it Link returns "" (there is no address to link to).
	BaseURL string
	// MaxOpen bounds the profiles held open at once (8).
	MaxOpen int
	// MaxBytes bounds how much of one stored profile is read (100 MiB).
	MaxBytes int64
	// ReadTimeout bounds reading one profile from the store (30s).
	ReadTimeout time.Duration
	// Gate bounds the CPU-heavy work (opening a profile, rendering a
	// page) together with the rest of the receiver; nil bounds nothing.
	Gate capture.Gate
	// MaxDecoded caps a profile once decompressed
	// (format.DefaultMaxDecoded).
	MaxDecoded int64
	// Budget, when set, admits opening a profile by the memory it needs
	// (capture.Budget); the open waits for its share within ReadTimeout.
	Budget Budget
	Logger *slog.Logger
	// Registerer takes the UI's metrics; a private registry when nil.
	Registerer prometheus.Registerer
}

// Budget admits work by the memory it needs: Reserve takes n bytes,
// waiting until ctx ends, and returns the function that gives them back;
// work that could never fit is refused at once.
type Budget interface {
	Reserve(ctx context.Context, n int64) (release func(), err error)
}

// UI is the pprof web interface for stored profiles. It is an
// http.Handler for requests whose path has Prefix stripped.
type UI struct {
	cfg     Config
	store   Store
	signer  *store.Signer
	log     *slog.Logger
	open    *openProfiles
	metrics *metrics
}

// New builds the UI over store; signer signs and checks its links.
func New(store Store, signer *store.Signer, cfg Config) (*UI, error) {
	if store == nil || signer == nil {
		return nil, errors.New("webui: a store and a signer are required")
	}
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 8
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = capture.DefaultMaxBytes
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// pprof's web UI reads its saved settings from the user's config
	// directory and will not start without one.
	if _, err := os.UserConfigDir(); err != nil {
		return nil, fmt.Errorf("webui: pprof's web UI needs $HOME or $XDG_CONFIG_HOME: %w", err)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	u := &UI{cfg: cfg, store: store, signer: signer, log: cfg.Logger, metrics: newMetrics(cfg.Registerer)}
	op, err := newOpenProfiles(cfg.MaxOpen, u.load)
	if err != nil {
		return nil, err
	}
	u.open = op
	return u, nil
}

// signedName is what a UI link signs: the key in a namespace of its own,
// so a UI link's signature is never valid as an artifact link's.
func signedName(key string) string { return "webui\x00" + key }

// Link returns the signed flame-graph link for the artifact under key, or
// "" when key is not a pprof profile or no base URL is configured.
func (u *UI) Link(key string) string {
	if u.cfg.BaseURL == "" || !validKey(key) {
		return ""
	}
	exp, sig := u.signer.Sign(signedName(key))
	return u.cfg.BaseURL + Prefix + "/" + exp + "/" + sig + "/" + (&url.URL{Path: key}).EscapedPath() + "/flamegraph"
}

// validKey accepts the keys the pipeline writes for pprof profiles (the
// format registry's ending for them): a clean relative path, no part
// starting with a dot. Text artifacts and traces get no link.
func validKey(key string) bool {
	if format.OfKey(key) != format.Profile || !fs.ValidPath(key) || strings.ContainsAny(key, "\\\x00") {
		return false
	}
	for _, part := range strings.Split(key, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "-") {
			return false
		}
	}
	return true
}

// views are the pprof pages served. The source and disassembly views
// are left out on purpose: pprof reads the files a profile names from the
// local disk, and a profile comes from a pod, so on a server they would
// let a pod choose files of alertprof's to show. Saving and deleting
// pprof settings write to the server's disk and are left out too.
var views = map[string]bool{
	"/": true, "/flamegraph": true, "/top": true, "/peek": true, "/graph": true, "/download": true,
	"/flamegraph2": true, "/flamegraphold": true,
}

// disabled explains the pprof pages this server does not serve.
var disabled = map[string]string{
	"/source":       "the source view is disabled on alertprof: it reads files named by the profile from the server's disk. Download the profile and run `go tool pprof -http=: FILE` next to the source.",
	"/disasm":       "the disassembly view is disabled on alertprof: it reads binaries from the server's disk. Download the profile and run `go tool pprof -http=: BINARY FILE`.",
	"/saveconfig":   "saving pprof settings is disabled on alertprof",
	"/deleteconfig": "deleting pprof settings is disabled on alertprof",
}

// ServeHTTP serves /<exp>/<sig>/<key>/<view>: 404 for a path that names
// no profile page, 403 for a wrong or expired signature, 404 for a
// profile that is not in the store, then pprof's page.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	exp, sig, key, view, ok := splitPath(r.URL.Path)
	if !ok {
		u.metrics.requests.WithLabelValues(resultNotFound).Inc()
		http.Error(w, "not found: a flame-graph link is /ui/<expiry>/<signature>/<artifact key>.pb.gz/<view>", http.StatusNotFound)
		return
	}
	if err := u.signer.Verify(signedName(key), exp, sig); err != nil {
		u.metrics.requests.WithLabelValues(resultForbidden).Inc()
		http.Error(w, "forbidden: "+err.Error()+"; ask for a fresh link (a new report carries one)", http.StatusForbidden)
		return
	}
	if view == "" {
		u.metrics.requests.WithLabelValues(resultOK).Inc()
		// .../heap.pb.gz → .../heap.pb.gz/flamegraph, relative so that any
		// prefix in front of alertprof keeps working.
		redirect(w, key[strings.LastIndex(key, "/")+1:]+"/flamegraph", r.URL.RawQuery)
		return
	}
	if msg, off := disabled[view]; off {
		u.metrics.requests.WithLabelValues(resultNotFound).Inc()
		http.Error(w, msg, http.StatusNotFound)
		return
	}
	if !views[view] {
		u.metrics.requests.WithLabelValues(resultNotFound).Inc()
		http.Error(w, "not found: pprof has no page "+view, http.StatusNotFound)
		return
	}
	handlers, err := u.open.get(r.Context(), key)
	if err != nil {
		u.serveOpenError(w, r, key, err)
		return
	}
	h := handlers[view]
	if h == nil {
		u.metrics.requests.WithLabelValues(resultNotFound).Inc()
		http.Error(w, "not found: pprof has no page "+view, http.StatusNotFound)
		return
	}
	u.metrics.requests.WithLabelValues(resultOK).Inc()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer") // the path carries the signature
	w.Header().Set("Cache-Control", "private, no-store")
	u.cfg.Gate.Do(func() { h.ServeHTTP(w, r) })
}

func (u *UI) serveOpenError(w http.ResponseWriter, r *http.Request, key string, err error) {
	result := resultOpenError
	if errors.Is(err, fs.ErrNotExist) {
		result = resultNotFound
	}
	u.metrics.requests.WithLabelValues(result).Inc()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, "not found: no stored profile "+key, http.StatusNotFound)
	case errors.Is(err, errTooLarge), errors.Is(err, errNotProfile):
		u.log.Warn("pprof UI cannot open a stored profile", "key", key, "error", err)
		http.Error(w, "cannot open the profile: "+err.Error(), http.StatusUnprocessableEntity)
	case r.Context().Err() != nil:
		// The client went away while waiting; nothing to answer.
	default:
		u.log.Error("pprof UI cannot open a stored profile", "key", key, "error", err)
		http.Error(w, "cannot open the profile: "+err.Error(), http.StatusBadGateway)
	}
}

// splitPath parses /<exp>/<sig>/<key>[/<view>]. view is "" when the path
// ends at the key, "/" for the key followed by a slash.
func splitPath(p string) (exp, sig, key, view string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", "", "", false
	}
	exp, sig, rest := parts[0], parts[1], parts[2]
	if format.OfKey(rest) == format.Profile {
		key = rest
	} else {
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			return "", "", "", "", false
		}
		key, view = rest[:i], rest[i:]
	}
	if !validKey(key) {
		return "", "", "", "", false
	}
	return exp, sig, key, view, true
}

func redirect(w http.ResponseWriter, path, rawQuery string) {
	u := &url.URL{Path: path, RawQuery: rawQuery}
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}
