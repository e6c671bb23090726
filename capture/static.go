package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// ErrNoTarget reports that an alert names no process alertprof may capture
// from. The wrapped message says why, in words fit for the report.
var ErrNoTarget = errors.New("no usable target")

// ErrNotAllowed marks an ErrNoTarget caused by policy rather than by the
// cluster: a denied namespace, or an address outside the allowed CIDRs.
// errors.Is matches both sentinels on such an error.
var ErrNotAllowed = errors.New("not allowed")

// policyError is an ErrNoTarget that is also ErrNotAllowed.
type policyError struct{ reason string }

func (e *policyError) Error() string { return ErrNoTarget.Error() + ": " + e.reason }

func (e *policyError) Is(target error) bool { return target == ErrNoTarget || target == ErrNotAllowed }

// NotAllowed returns an ErrNoTarget that is also ErrNotAllowed, with the
// reason formatted from format and args: resolvers use it when policy,
// not the cluster, rules a target out.
func NotAllowed(format string, args ...any) error {
	return &policyError{reason: fmt.Sprintf(format, args...)}
}

// DefaultAllowedCIDRs is where static targets may live unless configured
// otherwise: loopback only.
var DefaultAllowedCIDRs = []string{"127.0.0.0/8", "::1/128"}

// Static resolves an alert's instance label (host:port) to a target, but
// only when the host is an IP literal inside one of the allowed prefixes.
// Names are never looked up in DNS, so alert text cannot steer a fetch to
// an address outside the allow-list.
type Static struct {
	allowed []netip.Prefix
	path    string
}

// NewStatic builds a static resolver from CIDR strings and the pprof base
// path to use for every target.
func NewStatic(cidrs []string, path string) (*Static, error) {
	s := &Static{path: path}
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("allowed cidr %q: %w", c, err)
		}
		s.allowed = append(s.allowed, p.Masked())
	}
	return s, nil
}

// Resolve returns the one target named by labels["instance"].
func (s *Static) Resolve(_ context.Context, labels map[string]string) ([]Target, error) {
	inst := labels["instance"]
	if inst == "" {
		return nil, fmt.Errorf("%w: the alert has no instance label (static mode needs instance=host:port)", ErrNoTarget)
	}
	host, port, err := net.SplitHostPort(inst)
	if err != nil {
		return nil, fmt.Errorf("%w: instance %q is not host:port", ErrNoTarget, inst)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("%w: instance %q has an invalid port", ErrNoTarget, inst)
	}
	port = strconv.Itoa(n) // Atoi takes "+6060" and "06060"; URLs and keys need "6060"
	if host == "localhost" {
		host = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("%w: instance host %q is not an IP address (names are not looked up)", ErrNoTarget, host)
	}
	addr = addr.Unmap()
	if !s.allows(addr) {
		return nil, NotAllowed("instance %s is outside the allowed CIDRs", addr)
	}
	hp := net.JoinHostPort(addr.String(), port)
	return []Target{{
		Namespace: "static",
		Pod:       staticPodName(hp),
		Address:   hp,
		Scheme:    "http",
		Path:      s.path,
	}}, nil
}

// TargetKey names the target labels resolve to, without resolving it:
// static resolution does no I/O, so the key is the one Resolve gives.
func (s *Static) TargetKey(labels map[string]string) (string, bool) {
	ts, err := s.Resolve(context.Background(), labels)
	if err != nil || len(ts) != 1 {
		return "", false
	}
	return ts[0].Key(), true
}

func (s *Static) allows(a netip.Addr) bool {
	for _, p := range s.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
