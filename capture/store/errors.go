package store

import "errors"

// ErrPermanent marks a store error that retrying cannot heal: the bucket
// does not exist, access is denied, the credentials are wrong. A person
// has to fix the configuration or the store; until then the receiver is
// not ready, and says why.
var ErrPermanent = errors.New("permanent store error")

// permanentError is an error that is also ErrPermanent, with err's message.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// Permanent returns err marked as ErrPermanent, with err's message; nil
// stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}
