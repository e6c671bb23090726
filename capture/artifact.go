package capture

import (
	"errors"
	"net/url"
	"strings"
)

// ErrPending reports that a store accepted an artifact into its local
// spool but could not upload it yet: the bytes are safe on disk, the link
// works once the upload completes, and the store keeps retrying. Callers
// treat it as "stored, pending upload", not as a failure.
var ErrPending = errors.New("upload pending")

// ErrConflict reports that a conditional write was refused: the object
// changed (or came to exist) since the writer read it, so another writer
// got there first and the write would have clobbered its record.
var ErrConflict = errors.New("changed by another writer")

// Meta describes an artifact to the store that keeps it (S3 user
// metadata). Empty fields are left out.
type Meta struct {
	Incident  string `json:"incident,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Profile   string `json:"profile,omitempty"`
	AlertName string `json:"alertname,omitempty"`
	// Window is what time a cumulative profile (allocs, block, mutex)
	// covers: "10s" for its change over the last ten seconds of the
	// capture, SinceStart for everything since the process started.
	Window string `json:"window,omitempty"`
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
