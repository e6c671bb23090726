package spool

import (
	"context"
	"errors"
)

// errNoDelete is the error of Delete when the remote store cannot delete.
var errNoDelete = errors.New("the object store cannot delete")

// Delete removes the object stored under key from the remote store, when
// the remote can delete; a copy still waiting in the spool is uploaded
// later all the same.
func (s *Store) Delete(ctx context.Context, key string) error {
	d, ok := s.remote.(interface {
		Delete(ctx context.Context, key string) error
	})
	if !ok {
		return errNoDelete
	}
	return d.Delete(ctx, key)
}
