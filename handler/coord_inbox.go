package handler

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"

	"github.com/alertprof/alertprof/capture"
)

// A notification that reaches a replica which does not work its incident
// is handed over to the one that does, through the shared store: the
// latest one per group, in the group's inbox, which the holder reads at
// every sweep. Alertmanager sends each notification once, so without it
// a resolve delivered to another replica would never close the incident.

// inboxNote is what a group's inbox holds.
type inboxNote struct {
	Schema   int              `json:"schema"`
	Received time.Time        `json:"received"`
	Message  *webhook.Message `json:"message"`
}

func inboxKey(group string) string {
	return strings.Replace(groupStateKey(group), "state/groups/", "state/inbox/", 1)
}

// handOver leaves j's notification in its group's inbox.
func (h *Handler) handOver(ctx context.Context, log *slog.Logger, j job) {
	if j.msg == nil {
		return
	}
	b, err := json.Marshal(inboxNote{Schema: schemaVersion, Received: j.received, Message: j.msg})
	if err == nil {
		err = h.deps.Store.Put(ctx, inboxKey(j.msg.GroupKey), b, capture.Meta{})
	}
	if err != nil && !errors.Is(err, capture.ErrPending) {
		h.metrics.failures.WithLabelValues("record").Inc()
		log.Error("handing the notification over to the incident's holder failed", "error", err)
	}
}

// readInboxes takes in the notifications other replicas handed over for
// the incidents this replica works, as if it had received them.
func (h *Handler) readInboxes(ctx context.Context) {
	for _, g := range h.book.openGroups() {
		log := h.log.With("group_key", g)
		data, _, err := h.deps.Shared.GetVersion(ctx, inboxKey(g), 2*h.cfg.MaxBodyBytes+4096)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var note inboxNote
		if err == nil {
			err = decodeRecord(data, &note)
		}
		if err != nil || note.Message == nil || note.Message.Data == nil || note.Message.GroupKey != g {
			log.Warn("reading a notification handed over by another replica failed", "error", err)
			continue
		}
		if !h.book.newInbox(g, note.Received) {
			continue
		}
		j, err := h.book.accept(note.Message, h.deps.Now(), h.intakeKey, h.dispatch)
		if err != nil {
			h.book.forgetInbox(g)
			log.Warn("a notification handed over by another replica waits for room in the queue", "error", err)
			continue
		}
		log.Info("took in a notification another replica received", "status", note.Message.Status,
			"alerts", len(note.Message.Alerts), "received", note.Received, "incident", j.incident.ID)
	}
}

// newInbox reports whether a notification received at at, handed over
// for group, is new to the incident this replica works for it, and
// marks it seen.
func (b *book) newInbox(group string, at time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[b.groups[group]]
	if e == nil || !at.After(e.rec.Incident.OpenedAt) || !at.After(e.inboxAt) {
		return false
	}
	e.inboxAt = at
	return true
}

// forgetInbox lets the next sweep take the group's inbox in again.
func (b *book) forgetInbox(group string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[b.groups[group]]; e != nil {
		e.inboxAt = time.Time{}
	}
}
