package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
)

// Config is where an S3 store keeps artifacts and how it links to them.
type Config struct {
	// Endpoint is host[:port] of the S3 API, without a scheme.
	Endpoint string
	// Region is the bucket's region. Set, it spares a lookup and lets
	// presigning work while the store is unreachable. Default us-east-1.
	Region string
	Bucket string
	// Prefix is prepended to every key ("alertprof/" or empty).
	Prefix string
	// TLS selects https.
	TLS bool
	// LinkExpiry is how long presigned links stay valid; at most (and by
	// default) store.MaxLinkExpiry.
	LinkExpiry time.Duration
	// PublicBaseURL, when set, replaces presigned links with
	// <PublicBaseURL>/<prefix><key>, for installs behind their own gateway.
	PublicBaseURL string
	// Creds defaults to DefaultCredentials.
	Creds *credentials.Credentials
	// Transport defaults to minio-go's.
	Transport http.RoundTripper
	// AppVersion, when set, is added to minio-go's user agent as
	// "alertprof/<AppVersion>", so the store's access logs name the caller.
	AppVersion string
	// AttemptTimeout bounds one request (default 30s); Retry bounds all
	// attempts of one operation (default: 5 tries within 15s).
	AttemptTimeout time.Duration
	Retry          RetryPolicy
}

// DefaultCredentials reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or
// MINIO_ACCESS_KEY/MINIO_SECRET_KEY), then falls back to IAM: web identity
// (AWS_WEB_IDENTITY_TOKEN_FILE), container or instance credentials.
func DefaultCredentials() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.EnvMinio{},
		&credentials.IAM{},
	})
}

// Store keeps artifacts in an S3 bucket (AWS, MinIO, or any S3 API).
type Store struct {
	client *minio.Client
	cfg    Config
}

// New builds the client. It does not contact the server: see
// EnsureBucket.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3 store: endpoint and bucket are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.LinkExpiry <= 0 {
		cfg.LinkExpiry = store.MaxLinkExpiry
	}
	if cfg.LinkExpiry > store.MaxLinkExpiry || cfg.LinkExpiry < time.Second {
		return nil, fmt.Errorf("s3 store: link expiry %s is outside 1s..%s", cfg.LinkExpiry, store.MaxLinkExpiry)
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 30 * time.Second
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.Creds == nil {
		cfg.Creds = DefaultCredentials()
	}
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     cfg.Creds,
		Secure:    cfg.TLS,
		Region:    cfg.Region,
		Transport: cfg.Transport,
		// alertprof retries with its own backoff (RetryPolicy), so that the
		// time spent on a dead store is bounded and the spool takes over.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", redactErr(err))
	}
	if cfg.AppVersion != "" {
		client.SetAppInfo("alertprof", cfg.AppVersion)
	}
	return &Store{client: client, cfg: cfg}, nil
}

// EnsureBucket checks the bucket exists, creating it when create is set.
func (s *Store) EnsureBucket(ctx context.Context, create bool) error {
	ok, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (bool, error) {
		return s.client.BucketExists(ctx, s.cfg.Bucket)
	})
	if err != nil {
		wrapped := fmt.Errorf("check bucket %s: %w", s.cfg.Bucket, redactErr(err))
		if refused(err) {
			return store.Permanent(wrapped)
		}
		return wrapped
	}
	if ok {
		return nil
	}
	if !create {
		return store.Permanent(fmt.Errorf("bucket %s does not exist (set store.s3.create_bucket to create it)", s.cfg.Bucket))
	}
	_, err = retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (struct{}, error) {
		err := s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region})
		var er minio.ErrorResponse
		if errors.As(err, &er) && (er.Code == "BucketAlreadyOwnedByYou" || er.Code == "BucketAlreadyExists") {
			err = nil
		}
		return struct{}{}, err
	})
	if err != nil {
		wrapped := fmt.Errorf("create bucket %s: %w", s.cfg.Bucket, redactErr(err))
		if refused(err) {
			return store.Permanent(wrapped)
		}
		return wrapped
	}
	return nil
}

func (s *Store) object(key string) string { return s.cfg.Prefix + key }

// Put uploads data under key with its real content length, and meta as
// user metadata. 5xx answers and time-outs are retried with backoff;
// other errors are returned at once.
func (s *Store) Put(ctx context.Context, key string, data []byte, meta capture.Meta) error {
	opts := minio.PutObjectOptions{
		UserMetadata: userMetadata(meta),
		ContentType:  contentType(key),
	}
	_, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(ctx context.Context) (minio.UploadInfo, error) {
		return s.client.PutObject(ctx, s.cfg.Bucket, s.object(key), bytes.NewReader(data), int64(len(data)), opts)
	})
	if err != nil {
		if refused(err) { // the store refuses the bucket or us: say which bucket
			return store.Permanent(fmt.Errorf("put %s in bucket %s: %w", key, s.cfg.Bucket, redactErr(err)))
		}
		return fmt.Errorf("put %s: %w", key, redactErr(err))
	}
	return nil
}

// Get opens the object stored under key. A missing key is an error
// wrapping fs.ErrNotExist.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := retry(ctx, s.cfg.Retry, s.cfg.AttemptTimeout, func(actx context.Context) (*minio.Object, error) {
		// The attempt context would cut the body short: the object reads
		// on ctx, and Stat makes the request within the attempt's time.
		obj, err := s.client.GetObject(ctx, s.cfg.Bucket, s.object(key), minio.GetObjectOptions{})
		if err != nil {
			return nil, err
		}
		if _, err := statWithin(actx, obj); err != nil {
			obj.Close()
			return nil, err
		}
		return obj, nil
	})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("get %s: %w", key, redactErr(err))
	}
	return obj, nil
}

// statWithin runs obj.Stat, giving up when ctx ends.
func statWithin(ctx context.Context, obj *minio.Object) (minio.ObjectInfo, error) {
	type res struct {
		info minio.ObjectInfo
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		info, err := obj.Stat()
		ch <- res{info, err}
	}()
	select {
	case r := <-ch:
		return r.info, r.err
	case <-ctx.Done():
		return minio.ObjectInfo{}, context.Cause(ctx)
	}
}

// Link returns a presigned GET URL valid for the configured expiry, or the
// public URL when a public base URL is configured. Presigning needs no
// network, so links can be made while the store is down. The result is a
// credential: never log it.
func (s *Store) Link(key string) string {
	return s.linkFor(key, s.cfg.LinkExpiry)
}

func (s *Store) linkFor(key string, expiry time.Duration) string {
	if s.cfg.PublicBaseURL != "" {
		return s.cfg.PublicBaseURL + "/" + (&url.URL{Path: s.object(key)}).EscapedPath()
	}
	u, err := s.client.PresignedGetObject(context.Background(), s.cfg.Bucket, s.object(key), expiry, nil)
	if err != nil {
		return ""
	}
	return u.String()
}

func isNotFound(err error) bool {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	return er.Code == "NoSuchKey" || er.Code == "NotFound" || er.StatusCode == http.StatusNotFound && er.Code != "NoSuchBucket"
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	case strings.HasSuffix(key, ".txt"):
		return "text/plain; charset=utf-8"
	case strings.HasSuffix(key, ".png"):
		return "image/png"
	}
	return "application/octet-stream"
}
