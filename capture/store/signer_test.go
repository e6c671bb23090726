package store

import (
	"strings"
	"testing"
	"time"
)

func TestSigner(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s, err := NewSigner([]byte("secret"), time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	exp, sig := s.Sign("a/b.pb.gz")
	if exp != "1800000060" || len(sig) != 64 {
		t.Fatalf("exp %s sig %s", exp, sig)
	}
	if err := s.Verify("a/b.pb.gz", exp, sig); err != nil {
		t.Fatalf("fresh link refused: %v", err)
	}
	// The signature is the local artifact link's for the same name.
	l, err := NewLocal(t.TempDir(), "http://x", WithLinkKey([]byte("secret")), WithLinkExpiry(time.Minute), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if link := l.Link("a/b.pb.gz"); !strings.Contains(link, "sig="+sig) {
		t.Fatalf("artifact link %s does not carry %s", link, sig)
	}
	for _, tc := range []struct{ name, key, exp, sig, want string }{
		{"other name", "a/c.pb.gz", exp, sig, "invalid link signature"},
		{"other expiry", "a/b.pb.gz", "1800000061", sig, "invalid link signature"},
		{"not hex", "a/b.pb.gz", exp, "zz", "invalid link signature"},
		{"no expiry", "a/b.pb.gz", "", sig, "invalid link signature"},
	} {
		if err := s.Verify(tc.key, tc.exp, tc.sig); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	now = now.Add(time.Minute)
	if err := s.Verify("a/b.pb.gz", exp, sig); err == nil || err.Error() != "link expired" {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := NewSigner(nil, time.Minute, nil); err == nil {
		t.Fatal("an empty key was accepted")
	}
	if _, err := NewSigner([]byte("k"), MaxLinkExpiry+time.Second, nil); err == nil {
		t.Fatal("an expiry over the maximum was accepted")
	}
}
