package handler

import (
	"sync"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"

	"github.com/alertprof/alertprof/report"
)

// book is the incident book: every incident this process works on, by
// Alertmanager group and by ID, with its record (pod reports, thread,
// undelivered notifications) and the jobs running for it; the claims on
// targets (cooldown and in flight); and the adoption of stored incidents
// after a restart. Everything is behind one mutex, and nothing does I/O
// while holding it.
//
// An incident stays in the book while it is open or while any job of it
// runs: a resolve closes it, and it is forgotten when its last job ends,
// so a capture that finishes after the resolve still reports into the
// incident's thread and record.
type book struct {
	mu        sync.Mutex
	groups    map[string]string    // group key -> ID of its open incident
	entries   map[string]*entry    // incident ID -> its state
	aliases   map[string]string    // ID opened in memory -> stored ID it continues
	resolving map[string]*adoption // group key -> store check of a resolve for no known incident
	claims    *cooldowns
	flights   map[string]string // target key -> who is capturing it now
	// forgotten holds the IDs of the incidents forgotten last, so that a
	// store read that raced with an incident's last write cannot bring
	// it back.
	forgotten recent
}

// entry is one incident in the book.
type entry struct {
	rec     record
	jobs    int  // jobs running or queued for the incident
	closed  bool // forget the incident when its last job ends
	resolve bool // a resolve notification closed it
	// checked says the store was asked whether the group's incident is
	// continued from an earlier process; adoption is that check while it
	// runs. Incidents loaded from the store, or opened on demand, need none.
	checked  bool
	adoption *adoption
	aliases  []string // in-memory IDs that continue this incident
	// With other replicas: the targets being captured (claimKey -> the
	// alert's labels), so that a replica taking the incident over
	// captures them again; the alerts of such targets the incident was
	// taken over with, not captured yet; the versions of its records in
	// the shared store, as last read or written (lostVersion once another
	// replica wrote one since).
	inflight map[string]map[string]string
	pending  []template.Alert
	versions map[string]string
	inboxAt  time.Time // the last notification handed over by another replica
	notify   sync.Mutex
	persist  sync.Mutex
}

func newBook(cooldown time.Duration) *book {
	return &book{
		groups:    make(map[string]string),
		entries:   make(map[string]*entry),
		aliases:   make(map[string]string),
		resolving: make(map[string]*adoption),
		claims:    newCooldowns(cooldown),
		flights:   make(map[string]string),
	}
}

// accept applies a notification to the book and queues its job with
// enqueue: both or neither. When enqueue fails the book is unchanged, so
// that Alertmanager's retry starts from the same state. A firing
// notification opens the group's incident unless one is open; a resolved
// one closes it. A resolve for a group with no open incident gets an
// incident with no ID: its job looks in the store, in case this process
// restarted while the incident was open. The job counts as running for its
// incident until it calls end.
//
// The firing alerts whose target keyOf names are decided here (see
// lockedIntake): when every one is, and the notification neither opens
// the incident nor has anything to say, no job is queued and the returned
// job is idle.
func (b *book) accept(msg *webhook.Message, now time.Time, keyOf func(template.Alert) (string, string, bool), enqueue func(job) error) (job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := job{received: now, msg: msg}
	e := b.entries[b.groups[msg.GroupKey]]
	switch {
	case msg.Status == "resolved" && e == nil:
		j.incident = resolvedBy(newIncident(msg, now), msg, now)
		j.incident.ID = ""
	case msg.Status == "resolved":
		j.incident = resolvedBy(e.rec.Incident, msg, now)
	case e == nil:
		j.incident, j.opened = newIncident(msg, now), true
		j.alerts = msg.Alerts.Firing()
	default:
		j.incident = e.rec.Incident
		j.alerts = msg.Alerts.Firing()
	}
	var in intake
	if !j.resolved() {
		in = b.lockedIntake(&j, now, keyOf)
		if !j.opened && len(j.alerts) == 0 && len(j.notes) == 0 {
			j.idle = true
			return j, nil
		}
	}
	if err := enqueue(j); err != nil {
		return job{}, err
	}
	b.lockedCommit(in, j, now)
	switch {
	case j.incident.ID == "":
	case j.opened:
		b.entries[j.incident.ID] = &entry{rec: record{Incident: j.incident}, jobs: 1}
		b.groups[msg.GroupKey] = j.incident.ID
	default:
		e.jobs++
		if j.resolved() {
			delete(b.groups, msg.GroupKey)
			e.closed, e.resolve = true, true
		}
	}
	return j, nil
}

// openOnDemand adds the incident of a capture on demand, with its one job
// running. It belongs to no group and is forgotten when the job ends.
func (b *book) openOnDemand(inc report.Incident) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries[inc.ID] = &entry{rec: record{Incident: inc}, jobs: 1, closed: true, checked: true}
}

// join counts one more job for the incident id and returns the incident,
// unless no such incident is open.
func (b *book) join(id string) (report.Incident, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil || e.resolve {
		return report.Incident{}, false
	}
	e.jobs++
	return e.rec.Incident, true
}

// end marks one job of the incident id as finished, and forgets a closed
// incident once its last job has ended.
func (b *book) end(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id = b.lockedID(id)
	e := b.entries[id]
	if e == nil {
		return
	}
	if e.jobs--; e.jobs > 0 || !e.closed {
		return
	}
	delete(b.entries, id)
	b.forgotten.add(id)
	for _, alias := range e.aliases {
		delete(b.aliases, alias)
	}
	if b.groups[e.rec.Incident.GroupKey] == id {
		delete(b.groups, e.rec.Incident.GroupKey)
	}
}

// lockedID follows an in-memory ID to the stored incident it continues.
func (b *book) lockedID(id string) string {
	if to, ok := b.aliases[id]; ok {
		return to
	}
	return id
}

func (b *book) lockedEntry(id string) *entry { return b.entries[b.lockedID(id)] }

// open is called once a job knows its targets: the first pod's Slack
// channel becomes the incident's, and the names of the job's pods join
// the incident's pod list, which it returns.
func (b *book) open(inc report.Incident, pods []string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(inc.ID)
	if e == nil {
		return addNames(inc.Targets, pods)
	}
	if e.rec.Incident.Channel == "" {
		e.rec.Incident.Channel = inc.Channel
	}
	e.rec.Incident.Targets = addNames(e.rec.Incident.Targets, pods)
	return e.rec.Incident.Targets
}

// incident returns the incident id as the book holds it, thread included,
// and whether it is open (known and not resolving).
func (b *book) incident(id string) (report.Incident, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return report.Incident{}, false
	}
	return e.rec.Incident, !e.resolve
}

// add records a pod report in the incident's record.
func (b *book) add(id string, pr report.PodReport) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil {
		e.rec.Pods = append(e.rec.Pods, pr)
	}
}

// set replaces, in the incident's record, the report of the capture pr
// reports on, which add recorded earlier: the last one of its target,
// kind and start (a target is captured by one capture at a time). An
// early report is replaced so as the capture's profiles land.
func (b *book) set(id string, pr report.PodReport) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return
	}
	for i := len(e.rec.Pods) - 1; i >= 0; i-- {
		if p := e.rec.Pods[i]; p.Target == pr.Target && p.Kind == pr.Kind && p.CapturedAt.Equal(pr.CapturedAt) {
			e.rec.Pods[i] = pr
			return
		}
	}
	e.rec.Pods = append(e.rec.Pods, pr)
}

// resolve records the incident as resolved, keeping its thread.
func (b *book) resolve(inc report.Incident) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(inc.ID); e != nil {
		th := e.rec.Incident.Thread
		e.rec.Incident = inc
		if inc.Thread.IsZero() {
			e.rec.Incident.Thread = th
		}
	}
}

func (b *book) thread(id string) report.Thread {
	inc, _ := b.incident(id)
	return inc.Thread
}

func (b *book) setThread(id string, th report.Thread) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil {
		e.rec.Incident.Thread = th
	}
}

// undelivered notes a notification that failed for good.
func (b *book) undelivered(id, what string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.lockedEntry(id); e != nil && len(e.rec.Undelivered) < maxUndelivered {
		e.rec.Undelivered = append(e.rec.Undelivered, what)
	}
}

// maxUndelivered bounds the undelivered notifications a record lists.
const maxUndelivered = 100

// lockNotify serializes the notifications of one incident and returns the
// unlock function.
func (b *book) lockNotify(id string) func() {
	return b.lockEntry(id, func(e *entry) *sync.Mutex { return &e.notify })
}

// lockPersist serializes the store writes of one incident (its record and
// its group state), so that what lands last is what the book held last:
// a capture job that read its incident as firing cannot overwrite the
// resolve job's write. Each writer reads the book while holding it.
func (b *book) lockPersist(id string) func() {
	return b.lockEntry(id, func(e *entry) *sync.Mutex { return &e.persist })
}

func (b *book) lockEntry(id string, which func(*entry) *sync.Mutex) func() {
	b.mu.Lock()
	e := b.lockedEntry(id)
	b.mu.Unlock()
	if e == nil {
		return func() {}
	}
	mu := which(e)
	mu.Lock()
	return mu.Unlock
}

// saved returns the incident's record and group state as they are saved,
// or false once the incident is forgotten.
func (b *book) saved(id string) (record, groupState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.lockedEntry(id)
	if e == nil {
		return record{}, groupState{}, false
	}
	rec := e.rec
	rec.Pods = append([]report.PodReport(nil), e.rec.Pods...)
	rec.Undelivered = append([]string(nil), e.rec.Undelivered...)
	rec.Schema = schemaVersion
	st := groupState{Schema: schemaVersion, Incident: e.rec.Incident, Captured: make(map[string]time.Time)}
	if len(e.inflight) > 0 {
		st.InFlight = make(map[string]map[string]string, len(e.inflight))
		for k, v := range e.inflight {
			st.InFlight[k] = v
		}
	}
	for _, p := range e.rec.Pods {
		key := claimKey(p.Target, p.Kind)
		// An early report is not a capture: a replica that takes the
		// incident over captures that pod again.
		if p.Problem == "" && !p.Early() && p.CapturedAt.After(st.Captured[key]) {
			st.Captured[key] = p.CapturedAt
		}
	}
	return rec, st, true
}

// recent is a set of the last len(ring) strings added.
type recent struct {
	ring [1024]string
	next int
	set  map[string]bool
}

func (r *recent) add(s string) {
	if r.set == nil {
		r.set = make(map[string]bool, len(r.ring))
	}
	delete(r.set, r.ring[r.next])
	r.ring[r.next] = s
	r.set[s] = true
	r.next = (r.next + 1) % len(r.ring)
}

func (r *recent) has(s string) bool { return r.set[s] }
