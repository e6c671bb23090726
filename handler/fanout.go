package handler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// item is one target to capture and the alert it answers (for a capture
// on demand, the request made into an alert).
type item struct {
	alert  template.Alert
	target capture.Target
	shared bool // claimed across replicas too
}

// fanOut is how one job captures its targets; alert jobs and captures on
// demand differ only in these settings.
type fanOut struct {
	job    job    // the incident, and the plan when it is not the alert's
	holder string // who holds the targets' in-flight claims
	notify bool   // post each pod report to the notifier
	// started and finished, when set, follow target i: started once the
	// capture limits let its capture begin, finished with its report.
	started  func(i int)
	finished func(i int, pr report.PodReport)
}

// captureAll captures items concurrently, within PodsPerAlert and the
// receiver's capture limits, and reports each as its profiles land: an
// early report once the instant profiles are analysed, updated as the
// windowed ones land, then the final one, which goes into the incident's
// record and, with f.notify, to the notifier. Every item was claimed in
// flight for f.holder (except a target with Skip set, which is reported
// as not captured); the claim ends with its capture. captureAll returns
// when every item is reported; a shutdown past its deadline cancels ctx,
// which cuts the captures short.
func (h *Handler) captureAll(ctx context.Context, log *slog.Logger, f fanOut, items []item) {
	sem := make(chan struct{}, h.cfg.PodsPerAlert)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			plog := log.With("target", it.target.Key())
			out := h.newReplies(ctx, plog, f)
			// A capture cut short after its early reply (a takeover) goes
			// on in that reply.
			out.reply = h.book.takeEarlyReply(f.job.incident.ID, it.target.Key(), capture.KindOf(it.alert.Labels))
			var pr report.PodReport
			if it.target.Skip != "" {
				pr = h.skipReport(it.alert, it.target)
			} else {
				pr = h.captureTarget(ctx, plog, f, i, it, sem, out)
			}
			h.book.captured(it.target.Key(), capture.KindOf(it.alert.Labels), f.job.incident.ID, pr)
			if it.shared {
				// Recorded before it is reported: a replica that takes the
				// incident over from here does not capture the target again.
				h.book.reported(f.job.incident.ID, claimKey(it.target.Key(), capture.KindOf(it.alert.Labels)))
				h.saveGroupState(ctx, plog, f.job.incident.ID)
				h.releaseShared(ctx, plog, it, pr)
			}
			out.final(pr)
			if f.finished != nil {
				f.finished(i, pr)
			}
		})
	}
	wg.Wait()
}

// captureTarget captures one target phase by phase (see phases), each
// phase within PodsPerAlert (sem) and the receiver's capture limits: the
// first one takes a capture slot and a rate token, each later one a slot
// again once its window is due, so that a pod waiting out its heap growth
// window holds no slot and every pod's instant profiles come first. Each
// landing but the last is published to out as an early report; the final
// report is returned. The in-flight claim ends with the capture. A
// capture the limits drop gives its cooldown back, so that a later
// notification captures the target.
func (h *Handler) captureTarget(ctx context.Context, log *slog.Logger, f fanOut, i int, it item, sem chan struct{}, out *replies) report.PodReport {
	defer h.book.release(it.target.Key(), f.holder)
	pc := h.newPodCapture(f.job, it.alert, it.target)
	var start time.Time
	phs := phases(pc.plan)
	for n, ph := range phs {
		if n > 0 && !waitUntil(ctx, start.Add(ph.after)) {
			h.failPhase(ctx, log, f.job, it.target, ph, pc, "canceled while waiting for the snapshot window", context.Cause(ctx))
			continue
		}
		var release func()
		var err error
		if ph.waits && n > 0 {
			release = func() {} // it only waits: no slot
		} else {
			release, err = h.phaseSlot(ctx, log, sem, n == 0)
		}
		if err != nil && n == 0 {
			h.book.forget(claimKey(it.target.Key(), capture.KindOf(it.alert.Labels)), f.job.incident.ID)
			return report.PodReport{Target: it.target.Key(), Address: it.target.Address, Name: podName(it.target),
				AlertName: alertName(it.alert), Annotations: podAnnotations(it.alert),
				CapturedAt: h.deps.Now(), Problem: err.Error(), Owner: it.target.Owner}
		}
		if err != nil {
			h.failPhase(ctx, log, f.job, it.target, ph, pc, "no capture slot for its window", err)
			continue
		}
		if n == 0 {
			start = time.Now()
			if f.started != nil {
				f.started(i)
			}
		}
		var next time.Time // when the pod's next phase is due
		if n+1 < len(phs) {
			next = start.Add(phs[n+1].after)
		}
		h.runPhase(ctx, log, f.job, it.target, ph, pc, release, out, next)
	}
	pr := h.podReport(ctx, log, pc, pc.unreported())
	h.addFlame(ctx, log, f.job, it.target, &pr, pc.landed()) // the final report's picture
	h.writeSummary(ctx, log, f.job, it.target, &pr)
	h.indexCapture(ctx, log, f.job.incident, it.target, pr)
	return pr
}

// soon is how close the pod's next phase must be for a windowed phase's
// last landing to leave its early report to the next one.
const soon = 2 * time.Second

// runPhase fetches the profiles of one phase, releases the phase's slot
// once all have landed, and stores each. An instant phase is one capture,
// analysed as a whole; a windowed phase's profiles are fetched
// concurrently and analysed one by one as they land. Each analysis that
// leaves profiles to come is published to out as an early report; the
// last one is the caller's.
func (h *Handler) runPhase(ctx context.Context, log *slog.Logger, j job, t capture.Target, ph phase, pc *podCapture, release func(), out *replies, next time.Time) {
	type landing struct {
		k   int // index in the phase
		res capture.Result
	}
	landed := make(chan landing, len(ph.profiles))
	if ph.instant {
		results := h.deps.Capturer.Capture(ctx, t, ph.profiles)
		log.Debug("instant profiles landed", "profiles", len(ph.profiles))
		release() // storing and analysing them needs no slot
		release = func() {}
		for k, p := range ph.profiles {
			landed <- landing{k, resultAt(results, k, p)}
		}
	} else {
		for k, p := range ph.profiles {
			go func() { landed <- landing{k, resultAt(h.deps.Capturer.Capture(ctx, t, []capture.Profile{p}), 0, p)} }()
		}
	}
	var fresh []int
	for got := 1; got <= len(ph.profiles); got++ {
		l := <-landed
		if got == len(ph.profiles) {
			release()
		}
		k, res := l.k, l.res
		res.Profile = pc.plan[ph.at[k]] // the plan's own (a delayed snapshot's Delay included)
		var art *report.Artifact
		if res.Err == nil {
			a := artifactOf(res)
			art = &a
		}
		pc.land(ph.at[k], h.handleResult(ctx, log, j, t, res), art)
		fresh = append(fresh, ph.at[k])
		if pc.done() || (ph.instant && got < len(ph.profiles)) {
			continue
		}
		if !ph.instant && got == len(ph.profiles) && time.Until(next) < soon {
			// The next phase lands in a moment (the memory plan's
			// allocations end with its growth window): one edit then,
			// not two, under Slack's pace for edits.
			continue
		}
		pr := h.podReport(ctx, log, pc, fresh)
		pc.reported(fresh)
		fresh = nil
		h.writeSummary(ctx, log, j, t, &pr)
		out.early(pr)
	}
}

// failPhase lands every profile of ph as canceled, as a fetch cut short
// would have: counted, logged and reported with why.
func (h *Handler) failPhase(ctx context.Context, log *slog.Logger, j job, t capture.Target, ph phase, pc *podCapture, detail string, err error) {
	for _, i := range ph.at {
		p := pc.plan[i]
		res := capture.Result{Profile: p, Started: time.Now(),
			Err: &capture.FetchError{Profile: p.Name, Reason: capture.ReasonCanceled, Detail: detail, Err: err}}
		pc.land(i, h.handleResult(ctx, log, j, t, res), nil)
	}
}

// resultAt is results[k], the result of p; a capturer that returned none
// for it gets an error in its place rather than a hang.
func resultAt(results []capture.Result, k int, p capture.Profile) capture.Result {
	if k < len(results) {
		return results[k]
	}
	return capture.Result{Profile: p, Err: fmt.Errorf("%s: the capturer returned no result", p.Name)}
}

// phaseSlot waits for a place among the job's PodsPerAlert, then for a
// capture slot (and, for a pod's first phase, a rate token). It returns
// the function that gives both back.
func (h *Handler) phaseSlot(ctx context.Context, log *slog.Logger, sem chan struct{}, first bool) (func(), error) {
	select {
	case sem <- struct{}{}:
	default:
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("not captured: the job's deadline passed before its turn: %w", context.Cause(ctx))
		}
	}
	acquire := h.limiter.slot
	if first {
		acquire = h.limiter.acquire
	}
	release, err := acquire(ctx, log)
	if err != nil {
		<-sem
		return nil, err
	}
	return func() { release(); <-sem }, nil
}

// waitUntil waits until t, or until ctx ends, and reports whether t came.
func waitUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// skipReport is the one-line report of a target that is not captured.
func (h *Handler) skipReport(a template.Alert, t capture.Target) report.PodReport {
	return report.PodReport{Target: t.Key(), Address: t.Address, Name: podName(t), AlertName: alertName(a),
		Annotations: podAnnotations(a), CapturedAt: h.deps.Now(), Problem: t.Skip, Restart: t.Restart, Owner: t.Owner}
}
