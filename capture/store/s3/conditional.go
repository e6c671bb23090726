package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/alertprof/alertprof/capture"
)

// Records shared by several replicas (an incident's record, its group's
// state) are written with S3 conditional writes, so that concurrent
// writers cannot clobber each other: a record is created with
// If-None-Match: * (refused when it exists) and replaced with If-Match:
// <the ETag the writer read or wrote last> (refused when it changed since).
// minio-go sends them with PutObjectOptions.SetMatchETagExcept("*") and
// SetMatchETag(etag); MinIO and AWS S3 answer 412 Precondition Failed when
// the condition fails, which these methods report as capture.ErrConflict.

// GetVersion reads the object under key, at most limit bytes of it, and
// returns it with its ETag. A missing key is an error wrapping
// fs.ErrNotExist.
func (s *Store) GetVersion(ctx context.Context, key string, limit int64) ([]byte, string, error) {
	type got struct {
		data []byte
		etag string
	}
	g, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (got, error) {
		obj, err := s.client.GetObject(ctx, s.cfg.Bucket, s.object(key), minio.GetObjectOptions{})
		if err != nil {
			return got{}, err
		}
		defer obj.Close()
		info, err := obj.Stat()
		if err != nil {
			return got{}, err
		}
		if info.Size > limit {
			return got{}, fmt.Errorf("%d bytes, more than %d", info.Size, limit)
		}
		data, err := io.ReadAll(io.LimitReader(obj, limit+1))
		if err != nil {
			return got{}, err
		}
		if int64(len(data)) > limit {
			return got{}, fmt.Errorf("more than %d bytes", limit)
		}
		return got{data: data, etag: strings.Trim(info.ETag, `"`)}, nil
	})
	if err != nil {
		if isNotFound(err) {
			return nil, "", fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
		}
		return nil, "", fmt.Errorf("get %s: %w", key, redactErr(err))
	}
	return g.data, g.etag, nil
}

// PutIf stores data under key if the object's ETag is still match, or,
// with match "", if no object is stored under key; it returns the new
// ETag. When the condition fails the error wraps capture.ErrConflict.
// Unlike Put, it never goes through a spool: a write that may not
// clobber cannot wait to be replayed later.
func (s *Store) PutIf(ctx context.Context, key string, data []byte, meta capture.Meta, match string) (string, error) {
	opts := minio.PutObjectOptions{UserMetadata: userMetadata(meta), ContentType: contentType(key)}
	if match == "" {
		opts.SetMatchETagExcept("*")
	} else {
		opts.SetMatchETag(match)
	}
	info, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (minio.UploadInfo, error) {
		return s.client.PutObject(ctx, s.cfg.Bucket, s.object(key), bytes.NewReader(data), int64(len(data)), opts)
	})
	if err != nil {
		if preconditionFailed(err) {
			return "", fmt.Errorf("put %s: %w", key, capture.ErrConflict)
		}
		return "", fmt.Errorf("put %s: %w", key, redactErr(err))
	}
	return strings.Trim(info.ETag, `"`), nil
}

func preconditionFailed(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && (er.Code == "PreconditionFailed" || er.StatusCode == http.StatusPreconditionFailed)
}
