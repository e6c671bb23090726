package handler

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// StartCapture resolves req's targets and starts capturing them in the
// background, through the same limits and pipeline as an alert. ctx bounds
// only the resolution. The error is a *requestError carrying the HTTP
// status for the API; its text is fit for a person.
//
// A request on demand is an explicit human act, so the alert cooldown does
// not apply to it, and it does not count as a capture for the cooldown
// either (an alert firing later still gets its own capture). It is refused
// (409) while any of its targets is being captured, by an alert or by
// another request: two concurrent CPU profiles of one process fail anyway.
func (h *Handler) StartCapture(ctx context.Context, req CaptureRequest) (*OnDemand, error) {
	labels, err := req.validate(h.cfg.MaxLabelBytes)
	if err != nil {
		return nil, err
	}
	a := template.Alert{Status: "firing", Labels: labels}
	plan, err := h.planOf(&req, a)
	if err != nil {
		return nil, err
	}
	now := h.deps.Now()
	id := newIncidentID(now)
	continued := req.Incident != ""
	notOpen := &requestError{code: http.StatusNotFound, msg: fmt.Sprintf("incident %q is not open here", req.Incident)}
	if _, open := h.book.incident(req.Incident); continued && !open {
		return nil, notOpen
	}
	targets, err := h.deps.Resolver.Resolve(ctx, labels)
	if err != nil {
		return nil, resolveError(err)
	}
	c := &OnDemand{id: id, continued: continued, notify: req.Notify, alert: a, plan: plan,
		created: now, now: h.deps.Now, done: make(chan struct{})}
	var keys []string
	for _, t := range targets {
		c.targets = append(c.targets, &targetState{target: t})
		if t.Skip == "" {
			keys = append(keys, t.Key())
		}
	}
	holder := onDemandHolder(id)
	if busy, by, ok := h.book.claimAll(keys, holder); !ok {
		return nil, &requestError{code: http.StatusConflict,
			msg: fmt.Sprintf("%s is being captured right now (by %s); ask again when that capture ends", busy, by)}
	}
	shared, busy, by := h.claimAllShared(ctx, keys)
	unclaim := func() {
		for _, k := range keys {
			h.book.release(k, holder)
		}
		h.releaseAllShared(ctx, shared)
	}
	if busy != "" {
		unclaim()
		return nil, &requestError{code: http.StatusConflict,
			msg: fmt.Sprintf("%s is being captured right now (by the replica %s); ask again when that capture ends", busy, by)}
	}
	c.shared = shared
	if continued {
		inc, ok := h.book.join(req.Incident)
		if !ok {
			unclaim()
			return nil, notOpen
		}
		c.incident = inc
	} else {
		c.incident = onDemandIncident(id, req, labels, targets, now)
		h.book.openOnDemand(c.incident)
	}
	if err := h.ondemand.add(c); err != nil {
		unclaim()
		h.book.end(c.incident.ID)
		return nil, err
	}
	go h.runOnDemand(c)
	return c, nil
}

// onDemandIncident is the incident a request on demand opens: its own
// group, so it never merges with an alert's.
func onDemandIncident(id string, req CaptureRequest, labels map[string]string, targets []capture.Target, now time.Time) report.Incident {
	summary := "capture on demand"
	if req.Reason != "" {
		summary += ": " + req.Reason
	}
	var names []string
	channel := ""
	for _, t := range targets {
		if len(names) < maxIncidentTargets {
			names = append(names, podName(t))
		}
		if channel == "" {
			channel = t.SlackChannel
		}
	}
	return report.Incident{
		ID:          id,
		GroupKey:    onDemandGroupPrefix + id,
		Status:      "firing",
		AlertName:   onDemandAlertName,
		Severity:    "info",
		Labels:      copyKV(labels),
		Annotations: map[string]string{"summary": summary},
		Targets:     names,
		Channel:     channel,
		StartsAt:    now,
		OpenedAt:    now,
	}
}

// onDemandGroupPrefix starts the group key of a capture's own incident.
const onDemandGroupPrefix = "ondemand/"

// onDemandHolder names a capture on demand as the holder of its targets'
// claims.
func onDemandHolder(id string) string { return "capture on demand " + id }

// runOnDemand captures every target of c, as runJob does for an alert.
func (h *Handler) runOnDemand(c *OnDemand) {
	defer h.ondemand.finished(c)
	defer h.book.end(c.incident.ID)
	defer h.releaseAllShared(h.ondemand.ctx, c.shared)
	ctx, cancel := context.WithTimeoutCause(h.ondemand.ctx, h.cfg.JobTimeout, errJobTimeout)
	defer cancel()
	log := h.log.With("capture", c.id, "incident", c.incident.ID)
	if h.coordinated() && !c.continued {
		// Its record, written at once, lets any replica answer its state.
		h.writeRecord(ctx, log, c.incident.ID)
	}
	if !c.continued && c.notify {
		h.notify(ctx, log, report.Event{Kind: report.Opened, Incident: c.incident})
	}
	items := make([]item, len(c.targets))
	for i, ts := range c.targets {
		items[i] = item{alert: c.alert, target: ts.target}
	}
	h.captureAll(ctx, log, fanOut{
		job:      job{incident: c.incident, received: c.created, plan: c.plan},
		holder:   onDemandHolder(c.id),
		notify:   c.notify,
		started:  func(i int) { c.started(c.targets[i]) },
		finished: func(i int, pr report.PodReport) { c.finish(c.targets[i], pr) },
	}, items)
	h.writeRecord(ctx, log, c.incident.ID)
	h.metrics.jobs.WithLabelValues("ondemand").Inc()
	log.Info("capture on demand done", "targets", len(c.targets))
}

// onDemands keeps the captures on demand: the running ones (at most max)
// and the last finished ones, so that a client can read their state.
type onDemands struct {
	mu       sync.Mutex
	m        map[string]*OnDemand
	done     []string // finished IDs, oldest first
	running  int
	max      int
	closed   bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelCauseFunc
	keepDone int
}

func newOnDemands(max int) *onDemands {
	if max <= 0 {
		max = 64
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &onDemands{m: make(map[string]*OnDemand), max: max, ctx: ctx, cancel: cancel, keepDone: 100}
}

func (o *onDemands) add(c *OnDemand) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return &requestError{code: http.StatusServiceUnavailable, msg: "alertprof is shutting down; retry later"}
	}
	if o.running >= o.max {
		return &requestError{code: http.StatusServiceUnavailable,
			msg: fmt.Sprintf("%d captures on demand are running already; retry later", o.running)}
	}
	o.running++
	o.m[c.id] = c
	o.wg.Add(1)
	return nil
}

func (o *onDemands) finished(c *OnDemand) {
	c.close()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.running--
	o.done = append(o.done, c.id)
	for len(o.done) > o.keepDone {
		delete(o.m, o.done[0])
		o.done = o.done[1:]
	}
	o.wg.Done()
}

func (o *onDemands) get(id string) *OnDemand {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[id]
}

// shutdown refuses new captures and waits for the running ones; when ctx
// ends first it cancels them, waits for them to return, and reports how
// many were cut short.
func (o *onDemands) shutdown(ctx context.Context) int {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0
	case <-ctx.Done():
	}
	o.mu.Lock()
	n := o.running
	o.mu.Unlock()
	o.cancel(fmt.Errorf("shutdown deadline passed"))
	<-done
	return n
}
