package s3

import (
	"errors"
	"net/url"
	"strings"

	"github.com/alertprof/alertprof/capture"
)

// userMetadata returns m's fields as S3 user metadata (x-amz-meta-*),
// with values reduced to printable ASCII so they are valid header values.
// Empty fields are left out.
func userMetadata(m capture.Meta) map[string]string {
	out := make(map[string]string, 6)
	for k, v := range map[string]string{
		"incident": m.Incident, "namespace": m.Namespace, "pod": m.Pod,
		"profile": m.Profile, "alertname": m.AlertName, "window": m.Window,
	} {
		if v = headerSafe(v); v != "" {
			out[k] = v
		}
	}
	return out
}

func headerSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
	if len(s) > 256 {
		s = s[:256]
	}
	return strings.TrimSpace(s)
}

// redactErr strips query strings (presigned signatures, tokens) from the
// URL inside err, so an error can be logged safely.
func redactErr(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	if ue == err {
		return &url.Error{Op: ue.Op, URL: capture.RedactURL(ue.URL), Err: ue.Err}
	}
	// Wrapped deeper: fall back to a message-only error.
	return errors.New(strings.ReplaceAll(err.Error(), ue.URL, capture.RedactURL(ue.URL)))
}
