package handler

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// Auth is how a caller proves itself: a bearer token (Alertmanager's
// http_config.authorization), basic auth (http_config.basic_auth), or
// either. With neither set, LoopbackOnly decides: set, only clients on a
// loopback address are accepted; unset, anyone is.
type Auth struct {
	BearerToken string
	Username    string
	Password    string
	// LoopbackOnly refuses clients that are not on a loopback address when
	// no credentials are set. It has no effect when they are.
	LoopbackOnly bool
}

func (a Auth) enabled() bool { return a.BearerToken != "" || a.Username != "" }

// verdict is what Auth decides about one request.
type verdict int

const (
	admitted verdict = iota
	badCredentials
	notLoopback
)

// check decides about r. Credentials are compared in constant time, and
// hashed first so that the comparison does not leak their length either.
func (a Auth) check(r *http.Request) verdict {
	if !a.enabled() {
		if a.LoopbackOnly && !fromLoopback(r) {
			return notLoopback
		}
		return admitted
	}
	if a.BearerToken != "" {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(got, a.BearerToken) {
			return admitted
		}
	}
	if a.Username != "" {
		if u, p, ok := r.BasicAuth(); ok && equal(u, a.Username) && equal(p, a.Password) {
			return admitted
		}
	}
	return badCredentials
}

// fromLoopback reports whether r's client address is a loopback address.
// Behind a proxy on the same host every client is; configure credentials
// there.
func fromLoopback(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
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

// Describe says in words who a is accepted from, for the startup log.
func (a Auth) Describe() string {
	switch {
	case a.BearerToken != "" && a.Username != "":
		return "bearer token or basic auth"
	case a.BearerToken != "":
		return "bearer token"
	case a.Username != "":
		return "basic auth"
	case a.LoopbackOnly:
		return "loopback clients only (no credentials configured)"
	}
	return "anyone (no credentials configured, unauthenticated access allowed)"
}

// admit applies a to r and answers a refused request itself: 401 with a
// challenge for missing or wrong credentials, 403 for a client that is
// not on loopback when no credentials are configured. what names the
// endpoint in the log line.
func admit(w http.ResponseWriter, r *http.Request, a Auth, log *slog.Logger, what string) bool {
	switch a.check(r) {
	case admitted:
		return true
	case notLoopback:
		log.Warn(what+" refused: no credentials are configured and the client is not on loopback", "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "no credentials are configured, so only loopback clients are accepted: "+
			"configure a token, or set webhook.allow_unauthenticated")
	default:
		log.Warn(what+" refused: missing or wrong credentials", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", a.challenge())
		writeError(w, http.StatusUnauthorized, "missing or wrong credentials")
	}
	return false
}

// captureAuth is what the capture API requires: its own credentials
// when configured, else the webhook's.
func (c Config) captureAuth() Auth {
	if c.CaptureAuth.enabled() {
		return c.CaptureAuth
	}
	return c.Auth
}

// Access says who each endpoint that starts work accepts, for the startup
// log: pairs of an endpoint path and a description.
func (h *Handler) Access() [][2]string {
	return [][2]string{
		{"/api/v1/alerts", h.cfg.Auth.Describe()},
		{"/api/v1/captures", h.cfg.captureAuth().Describe()},
	}
}
