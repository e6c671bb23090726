package handler

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLoopbackOnlyWithoutCredentials: with no credentials configured and
// unauthenticated access not allowed, the webhook and the capture API
// refuse a client that is not on loopback, and accept one that is.
func TestLoopbackOnlyWithoutCredentials(t *testing.T) {
	cases := []struct {
		name   string
		remote string
		code   int
	}{
		{"IPv4 loopback", "127.0.0.1:40000", http.StatusAccepted},
		{"IPv6 loopback", "[::1]:40000", http.StatusAccepted},
		{"other 127/8 address", "127.8.9.10:40000", http.StatusAccepted},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]:40000", http.StatusAccepted},
		{"private address", "10.1.2.3:40000", http.StatusForbidden},
		{"documentation address", "198.51.100.7:40000", http.StatusForbidden},
		{"IPv6 address", "[2001:db8::1]:40000", http.StatusForbidden},
		{"no address", "", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Config{Auth: Auth{LoopbackOnly: true}}, nil)
			alerts := httptest.NewRequest(http.MethodPost, "/api/v1/alerts",
				bytes.NewReader(payload(t, "g-"+tc.name, "firing", alert("firing", "127.0.0.1:6060"))))
			// Another target than the alert's, which may still hold its own.
			captures := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(`{"address":"127.0.0.2:6060"}`))
			for _, req := range []*http.Request{alerts, captures} {
				req.Header.Set("Content-Type", "application/json")
				req.RemoteAddr = tc.remote
				if rec := serve(r.h, req); rec.Code != tc.code {
					t.Fatalf("%s from %q: status %d, want %d: %s", req.URL.Path, tc.remote, rec.Code, tc.code, rec.Body)
				}
			}
			if tc.code != http.StatusAccepted {
				if n := r.capturer.total(); n != 0 {
					t.Fatalf("a refused request captured %d times", n)
				}
				if !strings.Contains(r.logs.String(), "not on loopback") {
					t.Fatalf("the refusal is not logged:\n%s", r.logs)
				}
			}
		})
	}
}

// TestAllowUnauthenticatedAcceptsAnyClient: without LoopbackOnly (the
// allow_unauthenticated setting), a client anywhere is accepted.
func TestAllowUnauthenticatedAcceptsAnyClient(t *testing.T) {
	r := newRig(t, Config{}, nil)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(`{"address":"127.0.0.1:6060"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "10.1.2.3:40000"
	if rec := serve(r.h, req); rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

// TestCaptureToken: a capture token guards the capture API apart from the
// webhook: the webhook token does not start captures, the capture token
// is not accepted by the webhook, and loopback does not stand in for it.
func TestCaptureToken(t *testing.T) {
	const hookToken, capToken = "hook-s3cret", "capture-s3cret"
	r := newRig(t, Config{Auth: Auth{BearerToken: hookToken, LoopbackOnly: true}, CaptureAuth: Auth{BearerToken: capToken, LoopbackOnly: true}}, nil)
	body := `{"address":"127.0.0.1:6060"}`
	for name, tc := range map[string]struct {
		header string
		code   int
	}{
		"none":          {"", http.StatusUnauthorized},
		"webhook token": {"Bearer " + hookToken, http.StatusUnauthorized},
		"capture token": {"Bearer " + capToken, http.StatusAccepted},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/captures", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "127.0.0.1:40000"
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		if rec := serve(r.h, req); rec.Code != tc.code {
			t.Fatalf("capture API, %s: status %d, want %d", name, rec.Code, tc.code)
		}
	}
	if rec := r.post(t, payload(t, "g1", "firing", alert("firing", "127.0.0.1:6060")), map[string]string{"Authorization": "Bearer " + capToken}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("webhook with the capture token: status %d, want 401", rec.Code)
	}
	if rec := r.post(t, payload(t, "g2", "firing", alert("firing", "127.0.0.1:6060")), map[string]string{"Authorization": "Bearer " + hookToken}); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook with its token: status %d, want 202", rec.Code)
	}
	logs := r.logs.String()
	if strings.Contains(logs, hookToken) || strings.Contains(logs, capToken) {
		t.Fatal("a token appears in the logs")
	}
	got := r.h.Access()
	if got[0][1] != "bearer token" || got[1][1] != "bearer token" {
		t.Fatalf("access %v", got)
	}
}

func TestAccessDescribesEachEndpoint(t *testing.T) {
	cases := []struct {
		name          string
		cfg           Config
		hook, capture string
	}{
		{"nothing, loopback", Config{Auth: Auth{LoopbackOnly: true}}, "loopback clients only", "loopback clients only"},
		{"nothing, open", Config{}, "anyone", "anyone"},
		{"webhook token only", Config{Auth: Auth{BearerToken: "x", LoopbackOnly: true}}, "bearer token", "bearer token"},
		{"capture token only", Config{Auth: Auth{LoopbackOnly: true}, CaptureAuth: Auth{BearerToken: "y"}}, "loopback clients only", "bearer token"},
		{"basic auth", Config{Auth: Auth{Username: "am", Password: "pw"}}, "basic auth", "basic auth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.cfg, nil)
			got := r.h.Access()
			if got[0][0] != "/api/v1/alerts" || !strings.HasPrefix(got[0][1], tc.hook) {
				t.Fatalf("webhook: %v", got[0])
			}
			if got[1][0] != "/api/v1/captures" || !strings.HasPrefix(got[1][1], tc.capture) {
				t.Fatalf("captures: %v", got[1])
			}
		})
	}
}
