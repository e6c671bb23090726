package handler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// job is one unit of queued work: the firing alerts of one notification to
// capture, or the resolution of an incident.
type job struct {
	incident report.Incident
	opened   bool // this notification opened the incident
	alerts   []template.Alert
	received time.Time
	// notes are the alerts decided when the notification arrived: their
	// targets cool down from a capture made for another incident.
	notes []note
	// cooled are the targets of alerts dropped when the notification
	// arrived: its own incident claimed them within the cooldown.
	cooled []string
	// idle says the notification needs no job: every alert's target is in
	// its incident's cooldown, or being captured for it.
	idle bool
	// plan, when set, replaces the plan of the alert's kind: the profiles
	// an on-demand request names.
	plan []capture.Profile
	// takeover says the job continues an incident another replica held,
	// whose claims on targets may outlive its Lease by a moment.
	takeover bool
	// msg is the notification the job was made from, handed over to the
	// replica that works the incident when this one does not.
	msg *webhook.Message
}

func (j job) resolved() bool { return j.incident.Status == "resolved" }

// errQueueClosed is returned by enqueue once shutdown has begun.
var errQueueClosed = errors.New("shutting down")

// errQueueFull is returned by enqueue when no slot is free.
var errQueueFull = errors.New("queue full")

// pool is a bounded queue drained by a fixed number of workers. Jobs run
// on their own context, not the request's: they outlive the webhook call.
// A worker may hand the long part of a job (its captures, which wait for
// the capture limits and last their windows) to detach and take the next
// job; at most cap(detached) jobs are detached at once, so the work held
// stays bounded: past that, workers wait, the queue fills and the webhook
// answers 503.
type pool struct {
	jobs     chan job
	detached chan struct{}
	workers  int
	run      func(context.Context, job)

	ctx    context.Context // canceled when draining runs past its deadline
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	inFlight map[*job]struct{}
	unrun    []job // dequeued after the drain deadline, never started
}

func newPool(size, workers int, run func(context.Context, job)) *pool {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &pool{
		jobs:     make(chan job, size),
		detached: make(chan struct{}, size),
		workers:  workers,
		run:      run,
		ctx:      ctx,
		cancel:   cancel,
		inFlight: make(map[*job]struct{}),
	}
}

func (p *pool) start() {
	for range p.workers {
		p.wg.Go(p.work)
	}
}

func (p *pool) work() {
	for j := range p.jobs {
		p.mu.Lock()
		if p.ctx.Err() != nil {
			p.unrun = append(p.unrun, j)
			p.mu.Unlock()
			continue
		}
		p.inFlight[&j] = struct{}{}
		p.mu.Unlock()
		p.run(p.ctx, j)
		p.mu.Lock()
		delete(p.inFlight, &j)
		p.mu.Unlock()
	}
}

// detach runs the rest of job j, fn, on its own goroutine, so that the
// worker can take the next job; it waits while cap(p.detached) jobs are
// detached already. Shutdown waits for fn as for a running job.
func (p *pool) detach(j job, fn func()) {
	p.detached <- struct{}{}
	p.mu.Lock()
	p.inFlight[&j] = struct{}{}
	p.mu.Unlock()
	p.wg.Go(func() {
		defer func() {
			p.mu.Lock()
			delete(p.inFlight, &j)
			p.mu.Unlock()
			<-p.detached
		}()
		fn()
	})
}

// enqueue adds j without blocking; errQueueFull when no slot is free,
// errQueueClosed once shutdown has begun.
func (p *pool) enqueue(j job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errQueueClosed
	}
	select {
	case p.jobs <- j:
		return nil
	default:
		return errQueueFull
	}
}

func (p *pool) depth() int { return len(p.jobs) }

// shutdown stops accepting jobs and waits for the queued and running ones
// to finish. When ctx ends first, running jobs are canceled, and shutdown
// returns the jobs that were cut short or never started.
func (p *pool) shutdown(ctx context.Context) []job {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	var cut []job
	for j := range p.inFlight {
		cut = append(cut, *j)
	}
	p.mu.Unlock()
	p.cancel(errors.New("shutdown deadline passed"))
	// Running jobs see the canceled context and return soon; queued ones
	// are set aside unstarted.
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(cut, p.unrun...)
}
