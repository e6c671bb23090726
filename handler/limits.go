package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"
)

// Names of the capture limits, the "limit" metric label.
const (
	limitConcurrency = "concurrency"
	limitRate        = "rate"
)

// limiter bounds the captures of the whole receiver: at most n running at
// once, and at most perMinute started per minute, however many jobs and
// alerts there are. Work over a limit waits (it is deferred, counted and
// logged); only when its job's deadline passes first is it dropped.
type limiter struct {
	slots     chan struct{}
	rate      *rate.Limiter
	perMinute int
	metrics   *metrics
}

func newLimiter(concurrent, perMinute int, m *metrics) *limiter {
	return &limiter{
		slots:     make(chan struct{}, concurrent),
		rate:      rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute),
		perMinute: perMinute,
		metrics:   m,
	}
}

// acquire waits for a capture slot and a rate token. It returns the
// release function, or an error saying in words which limit stopped it.
func (l *limiter) acquire(ctx context.Context, log *slog.Logger) (func(), error) {
	release, err := l.slot(ctx, log)
	if err != nil {
		return nil, err
	}
	if err := l.token(ctx, log); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// slot waits for a capture slot alone: the later phases of a capture that
// acquire admitted (its windowed profiles) take a slot again, but no
// second rate token.
func (l *limiter) slot(ctx context.Context, log *slog.Logger) (func(), error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.metrics.deferred.WithLabelValues(limitConcurrency).Inc()
		log.Info("capture deferred: all capture slots busy", "limit", cap(l.slots))
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			l.metrics.dropped.WithLabelValues(limitConcurrency).Inc()
			log.Warn("capture dropped: no capture slot before the job's deadline", "limit", cap(l.slots))
			return nil, fmt.Errorf("not captured: all %d capture slots stayed busy until the job's deadline", cap(l.slots))
		}
	}
	return func() { <-l.slots }, nil
}

// token waits for a rate token.
func (l *limiter) token(ctx context.Context, log *slog.Logger) error {
	r := l.rate.Reserve()
	if d := r.Delay(); d > 0 {
		l.metrics.deferred.WithLabelValues(limitRate).Inc()
		log.Info("capture deferred: capture rate limit", "per_minute", l.perMinute, "wait", d.Round(time.Millisecond).String())
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			r.Cancel()
			l.metrics.dropped.WithLabelValues(limitRate).Inc()
			log.Warn("capture dropped: rate limit wait outlasted the job's deadline", "per_minute", l.perMinute)
			return fmt.Errorf("not captured: the limit of %d captures per minute was reached and the job's deadline passed", l.perMinute)
		}
	}
	return nil
}
