package handler

import (
	"strings"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// cooldowns remembers, for one cooldown period, the mark of each key: the
// claims of targets by kind of alert, and the report lines sent once.
// Marks expire oldest first, from a queue kept in the order they were
// made, so a claim costs the same however many targets and incidents are
// open (sweeping the whole map on every claim made a storm quadratic).
type cooldowns struct {
	period time.Duration
	last   map[string]mark
	queue  []stamp // oldest first
}

type stamp struct {
	key string
	at  time.Time
}

// mark is one claim: when it was made, by which incident, whether a job
// has taken it (false: reserved when the notification arrived, its job
// not run yet), and once the capture is done, what it stored.
type mark struct {
	at       time.Time
	incident string
	taken    bool
	done     *capturedKeys
}

// capturedKeys are the keys of what a capture stored, for the line that
// points to it from another incident.
type capturedKeys struct {
	summary  string
	profiles []report.ProfileReport // name and key only
}

func newCooldowns(period time.Duration) *cooldowns {
	return &cooldowns{period: period, last: make(map[string]mark)}
}

// active returns the mark of key when it was made within the period.
func (c *cooldowns) active(key string, now time.Time) (mark, bool) {
	m, ok := c.last[key]
	return m, ok && now.Sub(m.at) < c.period
}

// set records m for key, unless a later mark is recorded.
func (c *cooldowns) set(key string, m mark) {
	if last, ok := c.last[key]; ok && !m.at.After(last.at) {
		return
	}
	c.last[key] = m
	c.queue = append(c.queue, stamp{key: key, at: m.at})
}

// expire forgets the marks older than the period.
func (c *cooldowns) expire(now time.Time) {
	for len(c.queue) > 0 && now.Sub(c.queue[0].at) >= c.period {
		s := c.queue[0]
		c.queue[0] = stamp{}
		c.queue = c.queue[1:]
		if c.last[s.key].at.Equal(s.at) {
			delete(c.last, s.key)
		}
	}
}

// claimKey names the cooldown of a target for one kind of alert: a pod
// captured for a memory alert is captured again for a latency alert.
func claimKey(target, kind string) string { return target + "|" + kind }

// targetClaim is the answer to a claim on a target.
type targetClaim struct {
	ok     bool
	last   time.Time // when refused by the cooldown: the earlier claim
	by     mark      // when refused by the cooldown: the earlier claim
	holder string    // when refused because it is being captured: by whom
}

// cooled reports whether the claim was refused by the cooldown of an
// earlier claim made for another incident than incident (an earlier claim
// of the same incident has its report in the same thread already).
func (b *book) cooled(c targetClaim, incident string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !c.ok && c.holder == "" && b.lockedID(c.by.incident) != b.lockedID(incident)
}

// claim is a job's claim on a target for an alert of kind, for incident.
// It is refused within the cooldown of the last claim of the target for
// that kind (unless that claim is incident's own reservation, made when
// its notification arrived), and while another job or capture on demand
// is capturing the target (two profiles of one process at once fail or
// disturb each other). Granted, it starts the cooldown and marks the
// target in flight for holder until release.
func (b *book) claim(target, kind, incident, holder string, now time.Time) targetClaim {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := claimKey(target, kind)
	b.claims.expire(now)
	m, active := b.claims.active(key, now)
	reserved := active && !m.taken && b.lockedID(m.incident) == b.lockedID(incident)
	if active && !reserved {
		return targetClaim{last: m.at, by: m}
	}
	if by, busy := b.flights[target]; busy {
		return targetClaim{holder: by} // the job drops its reservation: a later notification tries again
	}
	if reserved {
		m.taken = true
		b.claims.last[key] = m
	} else {
		b.claims.set(key, mark{at: now, incident: incident, taken: true})
	}
	b.flights[target] = holder
	return targetClaim{ok: true}
}

// forget drops incident's claim of key: its capture never started (the
// capture limits dropped it), so a later notification may capture the
// target, and no other incident is told it was captured.
func (b *book) forget(key, incident string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m, ok := b.claims.last[key]; ok && b.lockedID(m.incident) == b.lockedID(incident) {
		delete(b.claims.last, key)
	}
}

// unreserve drops the reservations of keys that incident made at intake
// and its job did not take: the alert resolved to another target, to
// none, or to one that cannot be captured now. Another incident's claims,
// and the taken ones, stay.
func (b *book) unreserve(incident string, keys []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, key := range keys {
		if m, ok := b.claims.last[key]; ok && !m.taken && b.lockedID(m.incident) == b.lockedID(incident) {
			delete(b.claims.last, key)
		}
	}
}

// captured records where the capture of target for kind by incident
// stored its evidence, for the lines that point to it from incidents that
// the cooldown keeps from capturing the target again.
func (b *book) captured(target, kind, incident string, pr report.PodReport) {
	if pr.Problem != "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	key := claimKey(target, kind)
	m, ok := b.claims.last[key]
	if !ok || b.lockedID(m.incident) != b.lockedID(incident) {
		return
	}
	done := &capturedKeys{summary: pr.SummaryKey}
	for _, p := range pr.Profiles {
		if p.Key != "" {
			done.profiles = append(done.profiles, report.ProfileReport{Name: p.Name, Key: p.Key})
		}
	}
	m.done = done
	b.claims.last[key] = m
}

// mark returns the mark of key, if one is active, naming the incident
// that made it by its stored ID.
func (b *book) mark(key string, now time.Time) (mark, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.claims.active(key, now)
	m.incident = b.lockedID(m.incident)
	return m, ok
}

// once reports whether key was not claimed within the cooldown, and
// claims it: one report line per key and cooldown.
func (b *book) once(key string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.claims.expire(now)
	if _, ok := b.claims.active(key, now); ok {
		return false
	}
	b.claims.set(key, mark{at: now, taken: true})
	return true
}

// lockedRestoreClaim records a capture that incident made before a
// restart; key is a claimKey, or, in records written before cooldowns
// were kept per kind, a target, which then cools down for every kind. It
// replaces incident's own reservation made since, so that the restarted
// receiver does not capture the target again. The caller holds b.mu.
func (b *book) lockedRestoreClaim(key, incident string, at time.Time) {
	keys := []string{key}
	if !strings.Contains(key, "|") {
		keys = keys[:0]
		for _, kind := range capture.Kinds {
			keys = append(keys, claimKey(key, kind))
		}
	}
	for _, k := range keys {
		m := mark{at: at, incident: incident, taken: true}
		if cur, ok := b.claims.last[k]; ok && !cur.taken && b.lockedID(cur.incident) == b.lockedID(incident) {
			b.claims.last[k] = m
			b.claims.queue = append(b.claims.queue, stamp{key: k, at: at}) // out of order: it only expires late
			continue
		}
		b.claims.set(k, m)
	}
}

// claimAll marks every key in flight for holder, unless one is already:
// then it marks none and returns that key and its holder. A capture on
// demand claims this way: the cooldown neither stops it nor starts.
func (b *book) claimAll(keys []string, holder string) (busy, by string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if cur, found := b.flights[k]; found {
			return k, cur, false
		}
	}
	for _, k := range keys {
		b.flights[k] = holder
	}
	return "", "", true
}

// release ends holder's capture of key.
func (b *book) release(key, holder string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flights[key] == holder {
		delete(b.flights, key)
	}
}

// inFlight is the number of targets being captured now.
func (b *book) inFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.flights)
}
