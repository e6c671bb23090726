package slack

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	slackgo "github.com/slack-go/slack"
)

// Results of one Slack Web API attempt, the "result" label.
const (
	slackOK          = "ok"
	slackRateLimited = "rate_limited"
	slackServerError = "server_error"
	slackAPIError    = "api_error" // 200 {"ok": false}
	slackTransport   = "transport"
)

type metrics struct {
	attempts  *prometheus.CounterVec
	apiErrors *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		attempts: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_slack_requests_total",
			Help: "Slack Web API attempts by method and result (ok, rate_limited, server_error, api_error, transport).",
		}, []string{"method", "result"}),
		apiErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alertprof_slack_api_errors_total",
			Help: `Slack answers of {"ok": false}, by Slack's error code.`,
		}, []string{"code"}),
	}
	for _, method := range []string{"chat.postMessage", "chat.update", "files.uploadV2"} {
		for _, r := range []string{slackOK, slackRateLimited, slackServerError, slackAPIError, slackTransport} {
			m.attempts.WithLabelValues(method, r)
		}
	}
	return m
}

// call runs one Web API call with retries: a 429 waits for Retry-After, a
// 5xx or a transport error backs off exponentially, and {"ok": false} is
// final (the request was understood and refused).
func (s *Notifier) call(ctx context.Context, method string, fn func(context.Context) error) error {
	op := func() (struct{}, error) {
		err := fn(ctx)
		result := classify(err)
		s.metrics.attempts.WithLabelValues(method, result).Inc()
		switch result {
		case slackOK:
			return struct{}{}, nil
		case slackRateLimited:
			wait := 1
			var rl *slackgo.RateLimitedError
			if errors.As(err, &rl) {
				wait = max(1, int(math.Ceil(rl.RetryAfter.Seconds())))
			}
			s.log.Warn("slack rate limit; waiting", "method", method, "retry_after_s", wait)
			return struct{}{}, backoff.RetryAfter(wait)
		case slackAPIError:
			var se slackgo.SlackErrorResponse
			errors.As(err, &se)
			s.metrics.apiErrors.WithLabelValues(se.Err).Inc()
			s.log.Error("slack refused the call", "method", method, "code", se.Err)
			return struct{}{}, backoff.Permanent(err)
		case slackServerError, slackTransport:
			if ctx.Err() != nil {
				return struct{}{}, backoff.Permanent(err)
			}
			var sc slackgo.StatusCodeError
			if errors.As(err, &sc) && sc.Code < 500 && sc.Code != http.StatusTooManyRequests {
				return struct{}{}, backoff.Permanent(err)
			}
			s.log.Warn("slack call failed; retrying", "method", method, "error", err)
		}
		return struct{}{}, err
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.MaxInterval = 15 * time.Second
	_, err := backoff.Retry(ctx, op, backoff.WithBackOff(b), backoff.WithMaxTries(s.cfg.MaxTries), backoff.WithMaxElapsedTime(s.cfg.MaxWait))
	return err
}

func classify(err error) string {
	var (
		rl *slackgo.RateLimitedError
		se slackgo.SlackErrorResponse
		sc slackgo.StatusCodeError
	)
	switch {
	case err == nil:
		return slackOK
	case errors.As(err, &rl):
		return slackRateLimited
	case errors.As(err, &se):
		return slackAPIError
	case errors.As(err, &sc):
		if sc.Code == http.StatusTooManyRequests {
			return slackRateLimited
		}
		return slackServerError
	}
	return slackTransport
}
