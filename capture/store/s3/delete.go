package s3

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// Delete removes the object stored under key; S3 answers a missing key
// with success. 5xx answers and time-outs are retried like Put's.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.client.RemoveObject(ctx, s.cfg.Bucket, s.object(key), minio.RemoveObjectOptions{})
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, redactErr(err))
	}
	return nil
}
