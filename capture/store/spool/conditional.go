package spool

import (
	"context"
	"errors"
	"fmt"

	"github.com/alertprof/alertprof/capture"
)

// versioned is a Remote that can write conditionally (an *s3.Store).
type versioned interface {
	GetVersion(ctx context.Context, key string, limit int64) ([]byte, string, error)
	PutIf(ctx context.Context, key string, data []byte, meta capture.Meta, match string) (string, error)
}

var errNotVersioned = errors.New("the object store does not write conditionally")

// GetVersion reads key and its version straight from the remote store.
func (s *Store) GetVersion(ctx context.Context, key string, limit int64) ([]byte, string, error) {
	v, ok := s.remote.(versioned)
	if !ok {
		return nil, "", fmt.Errorf("get %s: %w", key, errNotVersioned)
	}
	return v.GetVersion(ctx, key, limit)
}

// PutIf writes key conditionally straight to the remote store, never
// through the spool: a write that must not clobber another writer's
// cannot be replayed later. An error wrapping capture.ErrConflict means
// the condition failed.
func (s *Store) PutIf(ctx context.Context, key string, data []byte, meta capture.Meta, match string) (string, error) {
	v, ok := s.remote.(versioned)
	if !ok {
		return "", fmt.Errorf("put %s: %w", key, errNotVersioned)
	}
	defer s.lock(key)()
	return v.PutIf(ctx, key, data, meta, match)
}
