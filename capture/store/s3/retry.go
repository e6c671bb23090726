package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/minio/minio-go/v7"
)

// RetryPolicy bounds the retries of one object store operation.
type RetryPolicy struct {
	MaxTries   uint          // attempts in all (5)
	MaxElapsed time.Duration // total time including waits (15s)
	Initial    time.Duration // first wait (200ms), doubling up to Max
	Max        time.Duration // longest wait (5s)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxTries == 0 {
		p.MaxTries = 5
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 15 * time.Second
	}
	if p.Initial <= 0 {
		p.Initial = 200 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Second
	}
	return p
}

// retry runs op with backoff until it succeeds, fails permanently, or the
// policy is spent. Each attempt gets its own timeout, so a hung server
// counts as a time-out and is retried.
func retry[T any](ctx context.Context, p RetryPolicy, attempt time.Duration, op func(context.Context) (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = p.Initial, p.Max
	return backoff.Retry(ctx, func() (T, error) {
		actx, cancel := context.WithTimeout(ctx, attempt)
		defer cancel()
		v, err := op(actx)
		if err != nil && !retryable(ctx, err) {
			return v, permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(p.MaxTries), backoff.WithMaxElapsedTime(p.MaxElapsed))
}

func permanent(err error) error { return backoff.Permanent(err) }

// retryable says whether err is worth another attempt: a 5xx, 408 or 429
// answer, a time-out, or a network failure (refused, reset, DNS). Answers
// such as 403 or 404 are final, and so is the end of the caller's context.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) && er.StatusCode != 0 {
		return er.StatusCode >= 500 || er.StatusCode == http.StatusRequestTimeout || er.StatusCode == http.StatusTooManyRequests
	}
	if errors.As(err, &er) {
		switch er.Code {
		case "InvalidArgument", "InvalidBucketName", "XMinioInvalidObjectName", "AccessDenied":
			return false
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // the attempt's own timeout: the caller's is checked above
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// A connection closed mid-response.
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
