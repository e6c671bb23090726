package capture

import (
	"fmt"
	"strings"
	"unicode"
)

// Reasons a fetch fails. They are few and fixed, so they serve as metric
// label values.
const (
	ReasonTimeout    = "timeout"
	ReasonConnect    = "connect"
	ReasonStatus     = "http_status"
	ReasonTooLarge   = "too_large"
	ReasonNotProfile = "not_profile"
	ReasonCanceled   = "canceled"
	ReasonTLS        = "tls"
)

// Reasons lists every fetch failure reason, for pre-initialising metrics.
var Reasons = []string{ReasonTimeout, ReasonConnect, ReasonStatus, ReasonTooLarge, ReasonNotProfile, ReasonCanceled, ReasonTLS}

// FetchError is a failed profile fetch. Its message is written for the
// person reading the report.
type FetchError struct {
	Profile string
	Reason  string
	Detail  string
	// Status is the HTTP status the target answered, for ReasonStatus.
	Status int
	Err    error
}

func (e *FetchError) Error() string {
	msg := e.Profile + ": " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FetchError) Unwrap() error { return e.Err }

// snippet makes a short single-line excerpt of a response body, safe to
// quote in a report.
func snippet(b []byte) string {
	const max = 160
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(b))
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func fetchErr(p Profile, reason, detail string, err error) *FetchError {
	return &FetchError{Profile: p.Name, Reason: reason, Detail: detail, Err: err}
}

func statusDetail(code int, body []byte) string {
	d := fmt.Sprintf("the target answered HTTP %d", code)
	if s := snippet(body); s != "" {
		d += fmt.Sprintf(" (%q)", s)
	}
	return d
}
