package handler

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth is how Alertmanager proves itself: a bearer token (its
// http_config.authorization), basic auth (http_config.basic_auth), or
// either. With neither set, the webhook accepts any caller.
type Auth struct {
	BearerToken string
	Username    string
	Password    string
}

func (a Auth) enabled() bool { return a.BearerToken != "" || a.Username != "" }

// allows checks the request's credentials in constant time. Secrets are
// hashed first so that the comparison does not leak their length either.
func (a Auth) allows(r *http.Request) bool {
	if !a.enabled() {
		return true
	}
	if a.BearerToken != "" {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(got, a.BearerToken) {
			return true
		}
	}
	if a.Username != "" {
		if u, p, ok := r.BasicAuth(); ok && equal(u, a.Username) && equal(p, a.Password) {
			return true
		}
	}
	return false
}

func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// challenge is the WWW-Authenticate header for a refused request.
func (a Auth) challenge() string {
	if a.BearerToken != "" {
		return `Bearer realm="alertprof"`
	}
	return `Basic realm="alertprof"`
}
