package capture

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxDeltaSeconds caps the window of a delta profile (allocs, block,
// mutex over ?seconds=N).
const MaxDeltaSeconds = 60

// SinceStart is the Window metadata of a cumulative profile that covers
// the time since the process started rather than a delta window.
const SinceStart = "since-start"

// deltaEndpoints are the cumulative profiles a plan takes as deltas: Go's
// net/http/pprof (since Go 1.16) answers ?seconds=N on them with the
// profile's change over the next N seconds. heap, goroutine and
// threadcreate take seconds too, but their plans want the state now.
var deltaEndpoints = map[string]bool{"allocs": true, "block": true, "mutex": true}

// Cumulative reports whether the profile's endpoint serves what
// accumulated since the process started (allocs, block, mutex), so that
// its window says what time it covers.
func (p Profile) Cumulative() bool { return deltaEndpoints[p.Endpoint] && p.Debug == 0 }

// Delta reports whether the profile asks for a delta over Seconds rather
// than what accumulated since the process started.
func (p Profile) Delta() bool { return p.Cumulative() && p.Seconds > 0 }

// DeltaCPU, as Settings.DeltaSeconds, makes the delta window the CPU
// profile's, so that every window of a capture is one.
const DeltaCPU = -1

// deltaSeconds is the delta window of s, in seconds; 0 for none.
func (s Settings) deltaSeconds() int {
	d := s.DeltaSeconds
	if d == DeltaCPU {
		d = clampCPUSeconds(s.CPUSeconds)
	}
	switch {
	case d <= 0:
		return 0
	case d > MaxDeltaSeconds:
		return MaxDeltaSeconds
	}
	return d
}

// WindowMeta is a fetched cumulative profile's window as artifact
// metadata: "10s" for a delta over ten seconds, SinceStart for what
// accumulated since the process started, "" for other profiles.
func (r Result) WindowMeta() string {
	switch {
	case !r.Profile.Cumulative() || r.Err != nil:
		return ""
	case r.Window > 0:
		return strconv.Itoa(r.Window) + "s"
	}
	return SinceStart
}

// fetchDelta fetches p, a delta profile, falling back to the profile
// since the process started when the target refuses the window (a Go
// runtime before 1.16 ignores it; another pprof server may answer it
// with an error). The result's Window says which it got, WindowNote why
// it is not the delta asked for.
func (f *Fetcher) fetchDelta(ctx context.Context, t Target, p Profile) Result {
	res := f.fetchOnce(ctx, t, p)
	if !refusedWindow(res.Err) || ctx.Err() != nil {
		if res.Err == nil && res.Window == 0 {
			res.WindowNote = fmt.Sprintf("the target ignored ?seconds=%d (a Go runtime before 1.16, or not Go's net/http/pprof)", p.Seconds)
		}
		return res
	}
	since := p
	since.Seconds = 0
	fb := f.fetchOnce(ctx, t, since)
	fb.Started, fb.Duration = res.Started, time.Since(res.Started)
	if fe := (*FetchError)(nil); fb.Err == nil && errors.As(res.Err, &fe) {
		fb.WindowNote = fmt.Sprintf("the target refused ?seconds=%d (%s)", p.Seconds, fe.Detail)
	}
	return fb
}

// refusedWindow reports whether err is the target answering a delta
// request with an HTTP error that a request without the window may not
// meet: not a refusal of the caller (401, 403, 429), nor a failure to
// reach the target at all.
func refusedWindow(err error) bool {
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Reason != ReasonStatus {
		return false
	}
	switch fe.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusProxyAuthRequired:
		return false
	}
	return fe.Status >= 400
}

// deltaWindow is the window, in seconds, that a 200 answer to p covers:
// p.Seconds when the target served a delta (Go's handler names the file
// "<name>-delta" and sets the profile's duration), else 0.
func deltaWindow(p Profile, h http.Header, durationNanos int64) int {
	if !p.Delta() {
		return 0
	}
	if strings.Contains(h.Get("Content-Disposition"), `-delta"`) || durationNanos > 0 {
		return p.Seconds
	}
	return 0
}
