package handler

import (
	"slices"

	"github.com/alertprof/alertprof/report"
)

// takeEarlyReply finds, in incident id's record, an early report of
// target, for an alert of kind, that no final report followed (its
// capture was cut short: the replica working it died, or this process
// restarted) and that was posted as a reply. It removes that report,
// whose capture starts again, and returns its reply, for the new
// capture's reports to edit: one reply per pod, even across a takeover.
// "" when there is none.
func (b *book) takeEarlyReply(id, target, kind string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return ""
	}
	i := slices.IndexFunc(e.rec.Pods, func(p report.PodReport) bool {
		return p.Target == target && p.Kind == kind && p.Early() && p.Reply != ""
	})
	if i < 0 {
		return ""
	}
	reply := e.rec.Pods[i].Reply
	e.rec.Pods = slices.Delete(e.rec.Pods, i, i+1)
	return reply
}
