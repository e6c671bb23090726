package capture

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
)

// ErrPending reports that a store accepted an artifact into its local
// spool but could not upload it yet: the bytes are safe on disk, the link
// works once the upload completes, and the store keeps retrying. Callers
// treat it as "stored, pending upload", not as a failure.
var ErrPending = errors.New("upload pending")

// Meta describes an artifact to the object store (S3 user metadata).
// Empty fields are left out.
type Meta struct {
	Incident  string `json:"incident,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Profile   string `json:"profile,omitempty"`
	AlertName string `json:"alertname,omitempty"`
}

// userMetadata returns the fields as S3 user metadata (x-amz-meta-*),
// with values reduced to printable ASCII so they are valid header values.
func (m Meta) userMetadata() map[string]string {
	out := make(map[string]string, 5)
	for k, v := range map[string]string{
		"incident": m.Incident, "namespace": m.Namespace, "pod": m.Pod,
		"profile": m.Profile, "alertname": m.AlertName,
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

// Artifact is an artifact's bytes, as fetched, with its metadata. It is an
// io.Reader (and io.Seeker), so any store can read it; stores that can use
// the length and the metadata do.
type Artifact struct {
	*bytes.Reader
	meta Meta
}

// NewArtifact wraps data without copying it.
func NewArtifact(data []byte, meta Meta) *Artifact {
	return &Artifact{Reader: bytes.NewReader(data), meta: meta}
}

// Meta returns the artifact's metadata.
func (a *Artifact) Meta() Meta { return a.meta }

// metaOf returns the metadata r carries, if any.
func metaOf(r io.Reader) Meta {
	if m, ok := r.(interface{ Meta() Meta }); ok {
		return m.Meta()
	}
	return Meta{}
}

// remaining returns how many bytes r will yield, when that can be known
// without reading: from Len (bytes.Buffer, bytes.Reader, strings.Reader) or
// by seeking (files, section readers).
func remaining(r io.Reader) (int64, bool) {
	if l, ok := r.(interface{ Len() int }); ok {
		return int64(l.Len()), true
	}
	s, ok := r.(io.Seeker)
	if !ok {
		return 0, false
	}
	cur, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false
	}
	end, err := s.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, false
	}
	if _, err := s.Seek(cur, io.SeekStart); err != nil {
		return 0, false
	}
	return end - cur, true
}

// redactErr strips query strings (presigned signatures, tokens) from the
// URL inside err, so an error can be logged safely.
func redactErr(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	if ue == err {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	// Wrapped deeper: fall back to a message-only error.
	return errors.New(strings.ReplaceAll(err.Error(), ue.URL, RedactURL(ue.URL)))
}

// RedactURL returns raw without its query string and user info, for logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexByte(raw, '?'); i >= 0 {
			return raw[:i] + "?REDACTED"
		}
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}
