package main

import (
	"net/http"

	"github.com/prometheus/common/version"
)

// Build information is stamped the Prometheus way, into
// github.com/prometheus/common/version at link time:
//
//	go build -ldflags "$(bash .ci/ldflags.sh)" ./cmd/alertprof
//
// sets Version, Revision, Branch, BuildUser and BuildDate. An unstamped
// build (go run, go test) reports version "dev" and the revision the Go
// toolchain recorded, if any.
func init() {
	if version.Version == "" {
		version.Version = "dev"
	}
}

// userAgent is what alertprof sends to pprof targets, Slack, the object
// store and the Kubernetes API: "alertprof/<version>".
func userAgent() string { return version.ComponentUserAgent("alertprof") }

// withUserAgent sends userAgent() with every request through rt.
func withUserAgent(rt http.RoundTripper) http.RoundTripper {
	return agentTransport{rt}
}

type agentTransport struct{ next http.RoundTripper }

func (t agentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", userAgent())
	return t.next.RoundTrip(r)
}
