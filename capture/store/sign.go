package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MaxLinkExpiry is the longest a link may stay valid: S3's limit for a
// presigned URL, applied to local links too.
const MaxLinkExpiry = 7 * 24 * time.Hour

var (
	errBadSignature = errors.New("invalid link signature")
	errLinkExpired  = errors.New("link expired")
)

// NewLinkKey returns a random 32-byte HMAC key, for when none is
// configured. Links signed with it die with the process.
func NewLinkKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	return k, nil
}

// linkSigner signs artifact links with HMAC-SHA256 over the artifact key
// and the expiry time, so a link names one artifact until one instant.
type linkSigner struct {
	key    []byte
	expiry time.Duration
	now    func() time.Time
}

func (s linkSigner) mac(objKey string, exp int64) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(objKey))
	m.Write([]byte{0}) // keys never contain NUL: no ambiguity with the expiry
	m.Write(strconv.AppendInt(nil, exp, 10))
	return m.Sum(nil)
}

// query returns "exp=<unix>&sig=<hex>" for objKey, valid for s.expiry.
func (s linkSigner) query(objKey string) string {
	exp := s.now().Add(s.expiry).Unix()
	return url.Values{
		"exp": {strconv.FormatInt(exp, 10)},
		"sig": {hex.EncodeToString(s.mac(objKey, exp))},
	}.Encode()
}

// verify checks the exp and sig parameters of a request for objKey. The
// signature is checked before the expiry, in constant time.
func (s linkSigner) verify(objKey string, q url.Values) error {
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil {
		return errBadSignature
	}
	sig, err := hex.DecodeString(q.Get("sig"))
	if err != nil || !hmac.Equal(sig, s.mac(objKey, exp)) {
		return errBadSignature
	}
	if s.now().Unix() >= exp {
		return errLinkExpired
	}
	return nil
}

// Signer signs and checks expiring links for anything named by a key, with
// the same HMAC as local artifact links. Other link forms (such as the
// pprof web UI's) use it so that one link key and one expiry govern them
// all.
type Signer struct{ s linkSigner }

// NewSigner signs with key for expiry; now is the clock (time.Now if nil).
func NewSigner(key []byte, expiry time.Duration, now func() time.Time) (*Signer, error) {
	if len(key) == 0 {
		return nil, errors.New("signer: the link key is empty")
	}
	if expiry <= 0 || expiry > MaxLinkExpiry {
		return nil, fmt.Errorf("signer: link expiry must be between 1ns and %s", MaxLinkExpiry)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{s: linkSigner{key: append([]byte(nil), key...), expiry: expiry, now: now}}, nil
}

// Sign returns the expiry (unix seconds) and the hex signature that make
// a link for name valid until now plus the expiry.
func (s *Signer) Sign(name string) (exp, sig string) {
	q, _ := url.ParseQuery(s.s.query(name)) // query builds a well-formed query
	return q.Get("exp"), q.Get("sig")
}

// Verify checks exp and sig for name in constant time, then the expiry.
// The error says which failed, in words fit for a 403 page.
func (s *Signer) Verify(name, exp, sig string) error {
	return s.s.verify(name, url.Values{"exp": {exp}, "sig": {sig}})
}
