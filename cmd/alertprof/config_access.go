package main

import (
	"fmt"
	"net/netip"

	"github.com/alertprof/alertprof/capture"
)

// AccessConfig is one capture.access rule: how to reach the targets it
// matches when they sit behind authentication or TLS. Secrets live in
// files, never in this file.
type AccessConfig struct {
	// Namespaces are patterns on a pod's namespace (static targets'
	// namespace is "static"); CIDRs match a target's address.
	Namespaces []string `yaml:"namespaces"`
	CIDRs      []string `yaml:"cidrs"`
	// Scheme, when set, fetches matched targets with it (https for a
	// static target).
	Scheme          string          `yaml:"scheme"`
	BearerTokenFile string          `yaml:"bearer_token_file"`
	BasicAuth       AccessBasicAuth `yaml:"basic_auth"`
	TLS             AccessTLSConfig `yaml:"tls"`
}

// AccessBasicAuth is basic auth toward a target.
type AccessBasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// AccessTLSConfig is how targets' certificates are checked.
type AccessTLSConfig struct {
	// CAFile is a PEM bundle of the CAs that sign the targets'
	// certificates; ServerName the name they must carry.
	CAFile     string `yaml:"ca_file"`
	ServerName string `yaml:"server_name"`
}

// accessRules turns the capture.access section into the fetcher's rules.
func (c CaptureConfig) accessRules() ([]capture.AccessRule, error) {
	var out []capture.AccessRule
	for i, a := range c.Access {
		r := capture.AccessRule{
			Namespaces:      a.Namespaces,
			Scheme:          a.Scheme,
			BearerTokenFile: a.BearerTokenFile,
			Username:        a.BasicAuth.Username,
			PasswordFile:    a.BasicAuth.PasswordFile,
			CAFile:          a.TLS.CAFile,
			ServerName:      a.TLS.ServerName,
		}
		for _, s := range a.CIDRs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("config: capture.access[%d].cidrs: %q is not a CIDR", i, s)
			}
			r.CIDRs = append(r.CIDRs, p.Masked())
		}
		out = append(out, r)
	}
	return out, nil
}

// newAccess builds the fetcher's access rules; nil when there are none.
func newAccess(c CaptureConfig) (*capture.Access, error) {
	if len(c.Access) == 0 {
		return nil, nil
	}
	rules, err := c.accessRules()
	if err != nil {
		return nil, err
	}
	a, err := capture.NewAccess(rules)
	if err != nil {
		return nil, fmt.Errorf("config: capture.access: %w", err)
	}
	return a, nil
}
