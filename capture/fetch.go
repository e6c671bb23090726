package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// DefaultMaxBytes caps one profile body unless configured otherwise.
const DefaultMaxBytes = 64 << 20

// Result is the outcome of fetching one profile.
type Result struct {
	Profile Profile
	// Data is the body exactly as the target sent it.
	Data []byte
	// Parsed is the header of the profile in Data (sample and period
	// types, times), as the validity check read it: samples and tables
	// are not kept, the analysis streams them from Data. It is nil when
	// Err is set or the profile is text or an execution trace.
	Parsed *profile.Profile
	// Window is the delta window, in seconds, that a cumulative profile
	// (allocs, block, mutex) covers; 0 when it covers the time since the
	// process started (none was asked for, or the target ignored or
	// refused it). WindowNote says why a delta asked for was not got.
	Window     int
	WindowNote string
	Err        error
	Started    time.Time
	Duration   time.Duration
}

// Fetcher takes pprof snapshots over HTTP.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
	gate     Gate // bounds profile decoding; nil bounds nothing
	agent    string
	access   *Access // credentials, scheme and TLS per target; nil: none
	// maxDecoded caps a profile once decompressed; budget admits bodies
	// and decoding by their size (nil admits everything).
	maxDecoded int64
	budget     *Budget
}

// NewFetcher returns a Fetcher using client (nil means a new client with
// no overall timeout that follows no redirects; each fetch sets its own
// deadline). maxBytes caps a
// body (<=0 means DefaultMaxBytes); timeout bounds an instant profile and
// is added as a margin to windowed ones.
func NewFetcher(client *http.Client, maxBytes int64, timeout time.Duration) *Fetcher {
	if client == nil {
		// Never follow a redirect: the target could send the fetch to an
		// address outside the allowed CIDRs. A 3xx is reported as a status.
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Fetcher{client: client, maxBytes: maxBytes, timeout: timeout, maxDecoded: format.DefaultMaxDecoded}
}

// WithLimits caps a profile at maxDecoded bytes once decompressed (<=0
// keeps format.DefaultMaxDecoded) and admits bodies and their decoding by
// their size within budget; it returns f.
func (f *Fetcher) WithLimits(maxDecoded int64, budget *Budget) *Fetcher {
	if maxDecoded > 0 {
		f.maxDecoded = maxDecoded
	}
	f.budget = budget
	return f
}

// WithGate makes the fetcher decode profiles inside g's slots, sharing
// one CPU budget with the analysis; it returns f.
func (f *Fetcher) WithGate(g Gate) *Fetcher {
	f.gate = g
	return f
}

// WithUserAgent makes the fetcher send ua as its User-Agent, so a target's
// logs say who asked for a profile; it returns f.
func (f *Fetcher) WithUserAgent(ua string) *Fetcher {
	f.agent = ua
	return f
}

// WithAccess makes the fetcher reach the targets a rule matches with that
// rule's credentials, scheme and TLS settings; it returns f.
func (f *Fetcher) WithAccess(a *Access) *Fetcher {
	f.access = a
	return f
}

// Capture fetches every profile of plan from t concurrently, so the whole
// capture takes about as long as the longest window. Results are in plan
// order; a failed profile does not stop the others.
func (f *Fetcher) Capture(ctx context.Context, t Target, plan []Profile) []Result {
	results := make([]Result, len(plan))
	var wg sync.WaitGroup
	for i, p := range plan {
		wg.Go(func() { results[i] = f.Fetch(ctx, t, p) })
	}
	wg.Wait()
	return results
}

// deadline is how long one fetch may take: a windowed profile gets its
// window and half again, plus the instant timeout.
func (f *Fetcher) deadline(p Profile) time.Duration {
	w := time.Duration(p.Seconds) * time.Second
	return w + w/2 + f.timeout
}

// Fetch takes one profile from t.
func (f *Fetcher) Fetch(ctx context.Context, t Target, p Profile) Result {
	if p.Delay > 0 {
		// The second snapshot of a pair: wait out the window first.
		t := time.NewTimer(p.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Result{Profile: p, Started: time.Now(), Err: fetchErr(p, ReasonCanceled, "canceled while waiting for the snapshot window", context.Cause(ctx))}
		}
	}
	if p.Delta() {
		return f.fetchDelta(ctx, t, p)
	}
	return f.fetchOnce(ctx, t, p)
}

// fetchOnce makes the one request of p.
func (f *Fetcher) fetchOnce(ctx context.Context, t Target, p Profile) (res Result) {
	res = Result{Profile: p, Started: time.Now()}
	defer func() { res.Duration = time.Since(res.Started) }() // named result, so the caller sees it
	limit := f.deadline(p)
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("%s profile took longer than %s", p.Name, limit))
	defer cancel()

	rule := f.access.match(t)
	t = rule.target(t)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL(p.Endpoint, p.Query()), nil)
	if err != nil {
		res.Err = fetchErr(p, ReasonConnect, "cannot build the request", err)
		return res
	}
	if f.agent != "" {
		req.Header.Set("User-Agent", f.agent)
	}
	secrets, err := rule.authorize(req)
	if err != nil {
		res.Err = fetchErr(p, ReasonConnect, "cannot read the target's credentials", err)
		return res
	}
	defer func() { res.Err = scrub(res.Err, secrets) }() // a target may echo them back
	resp, err := rule.clientOr(f.client).Do(req)
	if err != nil {
		res.Err = classifyTransport(ctx, p, err)
		return res
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		fe := fetchErr(p, ReasonStatus, statusDetail(resp.StatusCode, head), nil)
		fe.Status = resp.StatusCode
		res.Err = fe
		return res
	}
	data, cut, release, err := readBody(ctx, resp.Body, f.maxBytes, f.budget)
	defer release()
	if err != nil {
		res.Err = bodyErr(ctx, p, int64(len(data)), err)
		return res
	}
	if cut {
		res.Err = fetchErr(p, ReasonTooLarge, fmt.Sprintf("the body was cut at the %d-byte cap (capture.max_profile_bytes)", f.maxBytes), nil)
		return res
	}
	want := p.Format()
	if err := format.Check(want, data); err != nil {
		res.Err = fetchErr(p, ReasonNotProfile, err.Error(), nil)
		return res
	}
	if want != format.Profile {
		res.Data = data
		return res
	}
	admitted, done := f.admitParse(data)
	if !admitted {
		// Too large to decode here, or the budget is busy: the analysis
		// decodes it within the budget, or says why it cannot.
		res.Data, res.Window = data, deltaWindow(p, resp.Header, 0)
		return res
	}
	defer done()
	var parsed *profile.Profile
	f.gate.Do(func() { parsed, err = format.CheckProfile(data, f.maxDecoded) })
	if err != nil {
		res.Err = fetchErr(p, ReasonNotProfile, "the body is not a valid profile", err)
		return res
	}
	res.Data, res.Parsed = data, keepParsed(parsed, data)
	res.Window = deltaWindow(p, resp.Header, parsed.DurationNanos)
	return res
}

func classifyTransport(ctx context.Context, p Profile, err error) *FetchError {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); errors.Is(ctx.Err(), context.DeadlineExceeded) && cause != nil {
			return fetchErr(p, ReasonTimeout, "timed out", cause)
		}
		return fetchErr(p, ReasonCanceled, "canceled", context.Cause(ctx))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fetchErr(p, ReasonTimeout, "timed out", err)
	}
	if detail, ok := tlsFailure(err); ok {
		return fetchErr(p, ReasonTLS, detail, err)
	}
	return fetchErr(p, ReasonConnect, "cannot reach the target", err)
}
