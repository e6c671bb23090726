package webui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/driver"
	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/format"
)

var (
	errTooLarge   = errors.New("the stored profile is too large to open")
	errNotProfile = errors.New("the stored artifact is not a pprof profile")
	errNoHandlers = errors.New("pprof did not hand over its web handlers")
)

// pprofMu serializes driver.PProf: pprof keeps its settings and mode in
// package variables that one run sets up.
var pprofMu sync.Mutex

// load opens key's profile with pprof's driver and returns the web
// handlers it builds, keyed as pprof keys them ("/", "/top", ...). pprof
// neither listens nor opens a browser: HTTPServer only keeps the handlers.
func (u *UI) load(key string) (map[string]http.Handler, error) {
	fetcher := &storeFetcher{store: u.store, key: key, max: u.cfg.MaxBytes, maxDecoded: u.cfg.MaxDecoded, budget: u.cfg.Budget, timeout: u.cfg.ReadTimeout}
	var handlers map[string]http.Handler
	opts := &driver.Options{
		Flagset: newFlags([]string{
			// Port 0 with our own server: pprof does not listen.
			"-http=127.0.0.1:0", "-no_browser", "-symbolize=none", "--", key,
		}),
		Fetch:  fetcher,
		Sym:    noSymbolizer{},
		Obj:    noObjects{},
		UI:     &slogUI{log: u.log.With("key", key)},
		Writer: noWriter{},
		HTTPServer: func(args *driver.HTTPServerArgs) error {
			handlers = maps.Clone(args.Handlers)
			return nil
		},
	}
	var err error
	u.cfg.Gate.Do(func() {
		pprofMu.Lock()
		defer pprofMu.Unlock()
		err = driver.PProf(opts)
	})
	if fetcher.err != nil {
		return nil, fetcher.err // the precise cause (missing, too large, ...)
	}
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	if handlers == nil {
		return nil, errNoHandlers
	}
	u.metrics.opened.Inc()
	u.log.Debug("pprof UI opened a profile", "key", key)
	return handlers, nil
}

// storeFetcher is pprof's Fetcher: it reads the profile named by src from
// the store, at most max bytes. It keeps its error so that load can tell
// a missing profile from a broken one.
type storeFetcher struct {
	store      Store
	key        string
	max        int64
	maxDecoded int64
	budget     Budget
	timeout    time.Duration
	err        error
}

// Fetch reads the stored profile. It never returns a nil profile without
// an error: pprof would then read src as a file or URL itself.
func (f *storeFetcher) Fetch(src string, _, _ time.Duration) (*profile.Profile, string, error) {
	p, err := f.fetch(src)
	if err != nil {
		f.err = err
		return nil, "", err
	}
	// An empty source: pprof then treats the profile as local and neither
	// saves a copy nor fetches symbols.
	return p, "", nil
}

func (f *storeFetcher) fetch(src string) (*profile.Profile, error) {
	if src != f.key {
		return nil, fmt.Errorf("pprof asked for %q, not the profile %q", src, f.key)
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	rc, err := f.store.Get(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, f.max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	if int64(len(data)) > f.max {
		return nil, fmt.Errorf("%w: more than %d bytes (capture.max_profile_bytes)", errTooLarge, f.max)
	}
	maxDecoded := f.maxDecoded
	if maxDecoded <= 0 {
		maxDecoded = format.DefaultMaxDecoded
	}
	n, err := format.DecodedSize(data, maxDecoded)
	if errors.Is(err, format.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w (capture.max_decoded_bytes)", errTooLarge, err)
	}
	if f.budget != nil {
		release, err := f.budget.Reserve(ctx, format.ParsedCost(n)) // pprof decodes it whole
		if _, ok := errors.AsType[*capture.OverBudgetError](err); ok {
			return nil, fmt.Errorf("%w: %w", errTooLarge, err)
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", src, err)
		}
		defer release()
	}
	p, err := format.ParseProfileMax(data, maxDecoded)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotProfile, err)
	}
	return p, nil
}

// flags is pprof's FlagSet over a fixed argument list, so pprof never
// parses the process's own command line.
type flags struct {
	fs    *flag.FlagSet
	args  []string
	extra []string
}

func newFlags(args []string) *flags {
	fs := flag.NewFlagSet("pprof", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{fs: fs, args: args}
}

func (f *flags) Bool(name string, def bool, usage string) *bool { return f.fs.Bool(name, def, usage) }
func (f *flags) Int(name string, def int, usage string) *int    { return f.fs.Int(name, def, usage) }
func (f *flags) Float64(name string, def float64, usage string) *float64 {
	return f.fs.Float64(name, def, usage)
}
func (f *flags) String(name string, def string, usage string) *string {
	return f.fs.String(name, def, usage)
}

// StringList defines a flag that is only ever given once here.
func (f *flags) StringList(name string, def string, usage string) *[]*string {
	return &[]*string{f.fs.String(name, def, usage)}
}
func (f *flags) ExtraUsage() string      { return strings.Join(f.extra, "\n") }
func (f *flags) AddExtraUsage(eu string) { f.extra = append(f.extra, eu) }

// Parse parses the fixed arguments; on an error it calls usage and
// returns nil, as pprof's contract asks.
func (f *flags) Parse(usage func()) []string {
	if err := f.fs.Parse(f.args); err != nil {
		usage()
		return nil
	}
	return f.fs.Args()
}

// slogUI routes pprof's messages to the log; it never reads input.
type slogUI struct{ log *slog.Logger }

func (u *slogUI) ReadLine(string) (string, error) { return "", io.EOF }
func (u *slogUI) Print(args ...any)               { u.log.Debug("pprof", "message", message(args)) }
func (u *slogUI) PrintErr(args ...any)            { u.log.Warn("pprof", "message", message(args)) }
func (u *slogUI) IsTerminal() bool                { return false }
func (u *slogUI) WantBrowser() bool               { return false }
func (u *slogUI) SetAutoComplete(func(string) string) {
}

func message(args []any) string { return strings.TrimSpace(fmt.Sprint(args...)) }

// noSymbolizer leaves profiles as stored: Go profiles carry their
// symbols, and a server must not fetch symbols from addresses a profile
// names.
type noSymbolizer struct{}

func (noSymbolizer) Symbolize(string, driver.MappingSources, *profile.Profile) error { return nil }

// noObjects opens no binaries: nothing on the server's disk belongs to
// the profiled program.
type noObjects struct{}

var errNoObjects = errors.New("alertprof does not read binaries on the server")

func (noObjects) Open(string, uint64, uint64, uint64, string) (driver.ObjFile, error) {
	return nil, errNoObjects
}
func (noObjects) Disasm(string, uint64, uint64, bool) ([]driver.Inst, error) {
	return nil, errNoObjects
}

// noWriter refuses pprof's output files; the web UI writes none.
type noWriter struct{}

func (noWriter) Open(name string) (io.WriteCloser, error) {
	return nil, fmt.Errorf("alertprof does not let pprof write %s", name)
}
