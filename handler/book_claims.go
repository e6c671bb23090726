package handler

import "time"

// cooldowns remembers when each key was last claimed, for one cooldown
// period. Claims expire oldest first, from a queue kept in the order they
// were made, so a claim costs the same however many targets and incidents
// are open (sweeping the whole map on every claim made a storm quadratic).
type cooldowns struct {
	period time.Duration
	last   map[string]time.Time
	queue  []stamp // oldest first
}

type stamp struct {
	key string
	at  time.Time
}

func newCooldowns(period time.Duration) *cooldowns {
	return &cooldowns{period: period, last: make(map[string]time.Time)}
}

// active reports whether key was claimed within the period, and when.
func (c *cooldowns) active(key string, now time.Time) (time.Time, bool) {
	last, ok := c.last[key]
	return last, ok && now.Sub(last) < c.period
}

// set records a claim of key at at, unless a later one is recorded.
func (c *cooldowns) set(key string, at time.Time) {
	if last, ok := c.last[key]; ok && !at.After(last) {
		return
	}
	c.last[key] = at
	c.queue = append(c.queue, stamp{key: key, at: at})
}

// expire forgets the claims older than the period.
func (c *cooldowns) expire(now time.Time) {
	for len(c.queue) > 0 && now.Sub(c.queue[0].at) >= c.period {
		s := c.queue[0]
		c.queue[0] = stamp{}
		c.queue = c.queue[1:]
		if c.last[s.key].Equal(s.at) {
			delete(c.last, s.key)
		}
	}
}

// targetClaim is the answer to a claim on a target.
type targetClaim struct {
	ok     bool
	last   time.Time // when refused by the cooldown: the last capture
	holder string    // when refused because it is being captured: by whom
}

// claim is an alert's claim on a target. It is refused within the
// cooldown of the target's last capture, and while another job or capture
// on demand is capturing it (two profiles of one process at once fail or
// disturb each other). Granted, it starts the cooldown and marks the
// target in flight for holder until release.
func (b *book) claim(key, holder string, now time.Time) targetClaim {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.claims.expire(now)
	if last, ok := b.claims.active(key, now); ok {
		return targetClaim{last: last}
	}
	if by, busy := b.flights[key]; busy {
		return targetClaim{holder: by}
	}
	b.claims.set(key, now)
	b.flights[key] = holder
	return targetClaim{ok: true}
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
	b.claims.set(key, now)
	return true
}

// lockedRestoreClaim records a capture made before a restart. The caller holds
// b.mu.
func (b *book) lockedRestoreClaim(key string, at time.Time) { b.claims.set(key, at) }

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
