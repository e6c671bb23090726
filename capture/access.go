package capture

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"strings"
)

// AccessRule says how to reach the targets it matches when they sit behind
// authentication or TLS. A target matches when its namespace matches one
// of Namespaces (path.Match patterns; static targets' namespace is
// "static") or its address lies in one of CIDRs.
//
// Credentials are read from their files at every fetch, so a rotated
// secret takes effect without a restart. They are sent as a header and
// never appear in logs, errors, artifacts or records.
type AccessRule struct {
	Namespaces []string
	CIDRs      []netip.Prefix
	// Scheme, when set, is the scheme matched targets are fetched with
	// ("https" for a static target, which has no annotation to say so).
	Scheme string
	// BearerTokenFile holds a bearer token; Username with PasswordFile is
	// basic auth instead. At most one of the two.
	BearerTokenFile string
	Username        string
	PasswordFile    string
	// CAFile is a PEM bundle of the CAs that sign the targets' serving
	// certificates, in place of the system's; ServerName is the name their
	// certificates must carry, in place of the address dialed.
	CAFile     string
	ServerName string
}

// Access is an ordered list of access rules: the first that matches a
// target decides. A nil *Access reaches every target plainly.
type Access struct {
	rules []accessRule
}

type accessRule struct {
	AccessRule
	client *http.Client // nil: the fetcher's own
}

// maxSecretBytes bounds a credentials file.
const maxSecretBytes = 64 << 10

// NewAccess checks rules (patterns, files readable, CA bundles parse) and
// builds a client for each rule with its own TLS settings.
func NewAccess(rules []AccessRule) (*Access, error) {
	a := &Access{}
	for i, r := range rules {
		if len(r.Namespaces) == 0 && len(r.CIDRs) == 0 {
			return nil, fmt.Errorf("target access rule %d matches nothing: give namespaces or cidrs", i+1)
		}
		for _, p := range r.Namespaces {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				return nil, fmt.Errorf("target access rule %d: namespace pattern %q is not valid", i+1, p)
			}
		}
		if r.Scheme != "" && r.Scheme != "http" && r.Scheme != "https" {
			return nil, fmt.Errorf("target access rule %d: scheme %q is not http or https", i+1, r.Scheme)
		}
		if r.BearerTokenFile != "" && (r.Username != "" || r.PasswordFile != "") {
			return nil, fmt.Errorf("target access rule %d: give a bearer token or basic auth, not both", i+1)
		}
		if (r.Username == "") != (r.PasswordFile == "") {
			return nil, fmt.Errorf("target access rule %d: basic auth needs both a username and a password file", i+1)
		}
		rule := accessRule{AccessRule: r}
		// Read every secret once, so a missing file is an error at start.
		if _, err := rule.credentials(); err != nil {
			return nil, fmt.Errorf("target access rule %d: %w", i+1, err)
		}
		if r.CAFile != "" || r.ServerName != "" {
			c, err := tlsClient(r.CAFile, r.ServerName)
			if err != nil {
				return nil, fmt.Errorf("target access rule %d: %w", i+1, err)
			}
			rule.client = c
		}
		a.rules = append(a.rules, rule)
	}
	return a, nil
}

// tlsClient is a client that trusts the CAs in caFile (the system's when
// empty), expects serverName on the certificate when set, has no overall
// timeout (each fetch sets its own deadline) and follows no redirects.
func tlsClient(caFile, serverName string) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// match returns the first rule for t, or nil.
func (a *Access) match(t Target) *accessRule {
	if a == nil {
		return nil
	}
	var addr netip.Addr
	if host, _, err := net.SplitHostPort(t.Address); err == nil {
		addr, _ = netip.ParseAddr(host)
	}
	for i := range a.rules {
		r := &a.rules[i]
		for _, p := range r.Namespaces {
			if ok, _ := path.Match(p, t.Namespace); ok {
				return r
			}
		}
		for _, c := range r.CIDRs {
			if addr.IsValid() && c.Contains(addr.Unmap()) {
				return r
			}
		}
	}
	return nil
}

// target is t as r says to reach it.
func (r *accessRule) target(t Target) Target {
	if r != nil && r.Scheme != "" {
		t.Scheme = r.Scheme
	}
	return t
}

// clientOr is r's client, or def when r has no TLS settings of its own.
func (r *accessRule) clientOr(def *http.Client) *http.Client {
	if r == nil || r.client == nil {
		return def
	}
	return r.client
}

// authorize sets r's credentials on req and returns the secret values
// sent, so that they can be scrubbed from anything the target answers.
func (r *accessRule) authorize(req *http.Request) ([]string, error) {
	if r == nil {
		return nil, nil
	}
	secret, err := r.credentials()
	switch {
	case err != nil:
		return nil, err
	case r.BearerTokenFile != "":
		req.Header.Set("Authorization", "Bearer "+secret)
	case r.Username != "":
		req.SetBasicAuth(r.Username, secret)
	default:
		return nil, nil
	}
	return []string{secret}, nil
}

// credentials reads r's secret: the token, or the password.
func (r *accessRule) credentials() (string, error) {
	file, what := r.BearerTokenFile, "bearer_token_file"
	if file == "" {
		file, what = r.PasswordFile, "password_file"
	}
	if file == "" {
		return "", nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("target credentials: %s: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("target credentials: %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	switch {
	case len(b) > maxSecretBytes:
		return "", fmt.Errorf("target credentials: %s is larger than %d bytes", what, maxSecretBytes)
	case s == "":
		return "", fmt.Errorf("target credentials: %s %s is empty", what, file)
	case strings.ContainsAny(s, "\r\n"):
		return "", fmt.Errorf("target credentials: %s %s holds more than one line", what, file)
	}
	return s, nil
}

// scrub removes secrets from a failed fetch's message, in case the target
// echoed them back.
func scrub(err error, secrets []string) error {
	var fe *FetchError
	if err == nil || len(secrets) == 0 || !errors.As(err, &fe) {
		return err
	}
	for _, s := range secrets {
		fe.Detail = strings.ReplaceAll(fe.Detail, s, "REDACTED")
		if fe.Err != nil && strings.Contains(fe.Err.Error(), s) {
			fe.Err = errors.New(strings.ReplaceAll(fe.Err.Error(), s, "REDACTED"))
		}
	}
	return err
}

// tlsFailure says in words why a TLS connection to a target failed, and
// whether err is such a failure.
func tlsFailure(err error) (string, bool) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return "TLS: the target's certificate is signed by an unknown authority (set tls.ca_file in capture.access)", true
	case errors.As(err, &hostname):
		return "TLS: the target's certificate is not valid for the name checked (set tls.server_name in capture.access)", true
	case errors.As(err, &invalid):
		return "TLS: the target's certificate is invalid", true
	case errors.As(err, &verify):
		return "TLS: the target's certificate could not be verified", true
	case errors.As(err, &record):
		return "TLS: the target does not speak TLS (is its scheme http?)", true
	}
	return "", false
}
