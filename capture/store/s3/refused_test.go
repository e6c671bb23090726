//go:build integration

package s3_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
	"github.com/alertprof/alertprof/capture/store/s3"
)

// TestRefusalsArePermanent: against a real MinIO, a missing bucket and
// wrong credentials are errors that retrying cannot heal (they wrap
// store.ErrPermanent and name the bucket), while a store that is down is
// not.
func TestRefusalsArePermanent(t *testing.T) {
	m := startMinio(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func(bucket string, creds *credentials.Credentials) *s3.Store {
		s, err := s3.New(s3.Config{Endpoint: m.addr, Bucket: bucket, Creds: creds,
			Retry: s3.RetryPolicy{MaxTries: 2, MaxElapsed: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := credentials.NewStaticV4(minioUser, minioPassword, "")

	missing := open("no-such-bucket", good)
	err := missing.EnsureBucket(ctx, false)
	if !errors.Is(err, store.ErrPermanent) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("EnsureBucket of a missing bucket: %v", err)
	}
	err = missing.Put(ctx, "k", []byte("x"), capture.Meta{})
	if !errors.Is(err, store.ErrPermanent) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("Put to a missing bucket: %v", err)
	}

	newS3(t, m, nil) // creates the bucket "alertprof"
	wrong := open("alertprof", credentials.NewStaticV4(minioUser, "not-the-password", ""))
	err = wrong.Put(ctx, "k", []byte("x"), capture.Meta{})
	if !errors.Is(err, store.ErrPermanent) || strings.Contains(err.Error(), minioPassword) {
		t.Fatalf("Put with a wrong secret: %v", err)
	}

	m.stop()
	down := open("alertprof", good)
	if err := down.Put(ctx, "k", []byte("x"), capture.Meta{}); err == nil || errors.Is(err, store.ErrPermanent) {
		t.Fatalf("Put while the store is down: %v, want a transient error", err)
	}
}
