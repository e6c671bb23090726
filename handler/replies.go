package handler

import (
	"context"
	"log/slog"
	"sync"

	"github.com/alertprof/alertprof/report"
)

// replier is a Notifier that shows a pod's evidence as it lands. Reply
// posts ev's pod report (a Progress or a Captured event) as the pod's one
// reply in the incident's thread, opening the thread first when
// ev.Incident.Thread is empty, or, when ev.Pod.Reply names a reply it
// posted, edits that reply in place. It returns the thread, as Notify
// does, and the reply's ID ("" when it keeps none, as a console). Calls
// for one incident never overlap. A notifier that is not a replier is
// sent only the final report of each pod, as a Captured event.
type replier interface {
	Reply(ctx context.Context, ev report.Event) (report.Thread, string, error)
}

// replies delivers one pod's reports in order: early ones as they are
// published, coalesced (while one is being delivered, a newer one
// replaces any still waiting, so a slow or rate-limited notifier sees
// only the latest), then the final one. Each report delivered goes into
// the incident's record with the pod's reply ID, so that every later one
// edits the same reply, here or in a replica that takes the incident
// over; an early report also rewrites incident.json at once.
type replies struct {
	h   *Handler
	ctx context.Context
	log *slog.Logger
	f   fanOut

	mu    sync.Mutex
	next  *report.PodReport // the latest early report not yet delivered
	busy  bool              // a goroutine is delivering early reports
	idle  chan struct{}     // closed when that goroutine ends
	reply string            // the pod's reply, once posted
	added bool              // a report of the pod is in the record
}

func (h *Handler) newReplies(ctx context.Context, log *slog.Logger, f fanOut) *replies {
	return &replies{h: h, ctx: ctx, log: log, f: f}
}

// early publishes an early report: it is delivered unless a newer one
// replaces it first.
func (r *replies) early(pr report.PodReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = &pr
	if r.busy {
		return
	}
	r.busy, r.idle = true, make(chan struct{})
	go r.drain(r.idle)
}

func (r *replies) drain(idle chan struct{}) {
	for {
		r.mu.Lock()
		pr := r.next
		r.next = nil
		if pr == nil {
			r.busy = false
			close(idle)
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.deliver(report.Progress, *pr)
		r.h.writeRecord(r.ctx, r.log, r.f.job.incident.ID)
	}
}

// final drops any early report still waiting, waits for the one being
// delivered, and delivers the final report pr.
func (r *replies) final(pr report.PodReport) {
	r.mu.Lock()
	r.next = nil
	idle, busy := r.idle, r.busy
	r.mu.Unlock()
	if busy {
		<-idle
	}
	r.deliver(report.Captured, pr)
}

// deliver records pr in the incident and, when the fan-out notifies,
// sends it as an event of kind: to a replier as the pod's reply (posted,
// or edited once posted), to any other notifier only when final.
func (r *replies) deliver(kind report.EventKind, pr report.PodReport) {
	pr.Reply = r.reply
	id := r.f.job.incident.ID
	if r.added {
		r.h.book.set(id, pr)
	} else {
		r.h.book.add(id, pr)
		r.added = true
	}
	if !r.f.notify {
		return
	}
	if _, ok := r.h.deps.Notifier.(replier); !ok && kind != report.Captured {
		return
	}
	sent := pr // the notifier may keep the event
	reply := r.h.send(r.ctx, r.log, report.Event{Kind: kind, Incident: r.f.job.incident, Pod: &sent})
	if reply != "" && reply != r.reply {
		r.reply = reply
		pr.Reply = reply
		r.h.book.set(id, pr)
	}
}
