package capture

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// heapTarget serves a real heap profile at /debug/pprof/heap to requests
// that carry want as their Authorization header (any when want is
// empty); others get 401 with the header they sent echoed back, the way a
// careless target might.
func heapTarget(t *testing.T, want string) http.HandlerFunc {
	heap := realProfile(t, "heap")
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); want != "" && got != want {
			http.Error(w, "unauthorized: you sent "+got, http.StatusUnauthorized)
			return
		}
		w.Write(heap)
	}
}

func targetOf(t *testing.T, srv *httptest.Server, namespace string) Target {
	t.Helper()
	return Target{Namespace: namespace, Pod: "p", Address: strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://"), Scheme: "http", Path: "/debug/pprof"}
}

func secretFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func heapPlan(t *testing.T) Profile {
	t.Helper()
	plan, err := Plan([]string{"heap"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return plan[0]
}

func TestAccessCredentials(t *testing.T) {
	const token = "t0ken-from-a-file"
	srv := httptest.NewServer(heapTarget(t, "Bearer "+token))
	defer srv.Close()
	basic := httptest.NewServer(heapTarget(t, "Basic YWxlcnRwcm9mOnBhc3N3b3Jk")) // alertprof:password
	defer basic.Close()
	tokenFile, pwFile := secretFile(t, token+"\n"), secretFile(t, "password")
	a, err := NewAccess([]AccessRule{
		{Namespaces: []string{"pay*"}, BearerTokenFile: tokenFile},
		{CIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Username: "alertprof", PasswordFile: pwFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := NewFetcher(nil, 0, 0).WithAccess(a)
	p := heapPlan(t)
	if res := f.Fetch(context.Background(), targetOf(t, srv, "payments"), p); res.Err != nil {
		t.Fatalf("bearer token by namespace: %v", res.Err)
	}
	if res := f.Fetch(context.Background(), targetOf(t, basic, "static"), p); res.Err != nil {
		t.Fatalf("basic auth by CIDR: %v", res.Err)
	}
	// The token rule does not match "static": the CIDR rule sends basic
	// auth instead, the target refuses and echoes it; the token never shows.
	res := f.Fetch(context.Background(), targetOf(t, srv, "static"), p)
	var fe *FetchError
	if !errors.As(res.Err, &fe) || fe.Reason != ReasonStatus {
		t.Fatalf("wrong credentials: %v", res.Err)
	}
	if strings.Contains(res.Err.Error(), token) {
		t.Fatalf("the token is in the error: %v", res.Err)
	}
	// A target that echoes the very secret it was sent: scrubbed.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no: "+r.Header.Get("Authorization"), http.StatusForbidden)
	}))
	defer echo.Close()
	res = f.Fetch(context.Background(), targetOf(t, echo, "payments"), p)
	if res.Err == nil || strings.Contains(res.Err.Error(), token) || !strings.Contains(res.Err.Error(), "REDACTED") {
		t.Fatalf("echoed token not scrubbed: %v", res.Err)
	}
	// A rotated token is read at the next fetch.
	if err := os.WriteFile(tokenFile, []byte("rotated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := f.Fetch(context.Background(), targetOf(t, srv, "payments"), p); res.Err == nil {
		t.Fatal("the old token is still sent after rotation")
	}
}

func TestAccessTLS(t *testing.T) {
	srv := httptest.NewTLSServer(heapTarget(t, ""))
	defer srv.Close()
	ca := secretFile(t, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	p := heapPlan(t)
	cidr := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		name   string
		rule   AccessRule
		reason string
		detail string
	}{
		{"private CA", AccessRule{CIDRs: cidr, Scheme: "https", CAFile: ca}, "", ""},
		{"private CA and server name", AccessRule{CIDRs: cidr, Scheme: "https", CAFile: ca, ServerName: "example.com"}, "", ""},
		{"no CA", AccessRule{CIDRs: cidr, Scheme: "https"}, ReasonTLS, "unknown authority"},
		{"wrong server name", AccessRule{CIDRs: cidr, Scheme: "https", CAFile: ca, ServerName: "other.example"}, ReasonTLS, "not valid for the name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAccess([]AccessRule{tc.rule})
			if err != nil {
				t.Fatal(err)
			}
			res := NewFetcher(nil, 0, 0).WithAccess(a).Fetch(context.Background(), targetOf(t, srv, "static"), p)
			if tc.reason == "" {
				if res.Err != nil || res.Parsed == nil {
					t.Fatalf("fetch: %v", res.Err)
				}
				return
			}
			var fe *FetchError
			if !errors.As(res.Err, &fe) || fe.Reason != tc.reason || !strings.Contains(fe.Detail, tc.detail) {
				t.Fatalf("error %v, want reason %s with %q", res.Err, tc.reason, tc.detail)
			}
		})
	}
}

func TestNewAccessRefusesBadRules(t *testing.T) {
	tok := secretFile(t, "x")
	empty := secretFile(t, " \n")
	any := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for name, r := range map[string]AccessRule{
		"matches nothing":       {BearerTokenFile: tok},
		"bad pattern":           {Namespaces: []string{"["}},
		"bad scheme":            {CIDRs: any, Scheme: "ftp"},
		"token and basic":       {CIDRs: any, BearerTokenFile: tok, Username: "u", PasswordFile: tok},
		"username, no password": {CIDRs: any, Username: "u"},
		"missing token file":    {CIDRs: any, BearerTokenFile: filepath.Join(t.TempDir(), "none")},
		"empty token file":      {CIDRs: any, BearerTokenFile: empty},
		"CA file not PEM":       {CIDRs: any, CAFile: tok},
	} {
		if _, err := NewAccess([]AccessRule{r}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
