package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"github.com/alertprof/alertprof/capture"
)

// Labels and annotations of the Leases alertprof manages.
const (
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	LabelLeaseKind   = "alertprof.io/lease"
	annotationKey    = "alertprof.io/key"
	annotationLast   = "alertprof.io/captured-at"
	annotationFormer = "alertprof.io/released-by"
	managedBy        = "alertprof"
)

// Leases shares incidents and targets between alertprof replicas through
// coordination.k8s.io/v1 Leases, one per incident (Alertmanager group) and
// one per target and alert kind. Like client-go's leader election
// (tools/leaderelection/resourcelock.LeaseLock), every change is an update
// of the Lease last read, so the API server refuses it (409 Conflict) when
// another replica changed the Lease in between: two replicas never both
// believe they hold one. A Lease is expired once its renewTime plus
// leaseDurationSeconds has passed; its holder renews it with Renew while
// it works. A target's Lease keeps, once released, when the target was
// last captured, so that the cooldown holds across replicas.
type Leases struct {
	client   coordclient.LeaseInterface
	identity string
	duration time.Duration
	now      func() time.Time

	mu   sync.Mutex
	held map[string]*coordinationv1.Lease // by name: the Lease as last written by this replica
}

// NewLeases returns the Leases of namespace, held as identity for
// duration at a time.
func NewLeases(client kubernetes.Interface, namespace, identity string, duration time.Duration) *Leases {
	return &Leases{
		client:   client.CoordinationV1().Leases(namespace),
		identity: identity,
		duration: duration,
		now:      time.Now,
		held:     make(map[string]*coordinationv1.Lease),
	}
}

// Identity is the name this replica holds Leases under.
func (l *Leases) Identity() string { return l.identity }

// LeaseName names the Lease of key for kind: a DNS-1123 name made of a
// hash, since keys (group keys, pod names with kinds) are neither short
// nor DNS-safe. The key itself is kept in an annotation.
func LeaseName(kind, key string) string {
	sum := sha256.Sum256([]byte(key))
	return "alertprof-" + kind + "-" + hex.EncodeToString(sum[:16])
}

// Hold takes or keeps the Lease of key for kind. It is held by this
// replica when nobody holds it, its holder released it or let it expire,
// or this replica holds it already (then it is renewed). It is refused
// while another replica holds it, and, for a target, while its last
// capture is within cooldown.
func (l *Leases) Hold(ctx context.Context, kind, key string, cooldown time.Duration) (capture.Claim, error) {
	name := LeaseName(kind, key)
	if l.holding(name) {
		return capture.Claim{Held: true}, nil
	}
	for attempt := 0; ; attempt++ {
		c, err := l.try(ctx, name, kind, key, cooldown)
		if (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && attempt < 2 {
			continue // another replica changed it since it was read: decide again on what it wrote
		}
		if err != nil {
			return capture.Claim{}, fmt.Errorf("lease %s: %w", name, err)
		}
		return c, nil
	}
}

func (l *Leases) try(ctx context.Context, name, kind, key string, cooldown time.Duration) (capture.Claim, error) {
	now := l.now()
	cur, err := l.client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Labels:      map[string]string{LabelManagedBy: managedBy, LabelLeaseKind: kind},
				Annotations: map[string]string{annotationKey: key},
			},
		}
		l.stamp(lease, now, true)
		created, err := l.client.Create(ctx, lease, metav1.CreateOptions{})
		if err != nil {
			return capture.Claim{}, err
		}
		l.keep(created)
		return capture.Claim{Held: true}, nil
	}
	if err != nil {
		return capture.Claim{}, err
	}
	holder := holderOf(cur)
	live := holder != "" && !expired(cur, now)
	switch {
	case live && holder == l.identity:
		next := cur.DeepCopy()
		l.stamp(next, now, false)
		updated, err := l.client.Update(ctx, next, metav1.UpdateOptions{})
		if err != nil {
			return capture.Claim{}, err
		}
		l.keep(updated)
		return capture.Claim{Held: true}, nil
	case live:
		return capture.Claim{Holder: holder, Until: expiry(cur)}, nil
	}
	if last := lastCapture(cur); !last.IsZero() && now.Sub(last) < cooldown {
		return capture.Claim{Last: last}, nil
	}
	from := holder
	if from == "" {
		from = cur.Annotations[annotationFormer]
	}
	next := cur.DeepCopy()
	l.stamp(next, now, true)
	if next.Spec.LeaseTransitions == nil {
		next.Spec.LeaseTransitions = new(int32)
	}
	*next.Spec.LeaseTransitions++
	delete(next.Annotations, annotationFormer)
	updated, err := l.client.Update(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		return capture.Claim{}, err
	}
	l.keep(updated)
	if from == l.identity {
		from = ""
	}
	return capture.Claim{Held: true, From: from}, nil
}

// stamp makes lease held by this replica from now, acquired now when
// acquire is set.
func (l *Leases) stamp(lease *coordinationv1.Lease, now time.Time, acquire bool) {
	id := l.identity
	secs := int32(l.duration / time.Second)
	at := metav1.NewMicroTime(now)
	lease.Spec.HolderIdentity = &id
	lease.Spec.LeaseDurationSeconds = &secs
	lease.Spec.RenewTime = &at
	if acquire {
		lease.Spec.AcquireTime = &at
	}
}

// holding reports whether this replica holds the Lease name, as last
// written, for more than a third of its duration yet: no other replica
// can have taken it, and Renew keeps it, so no request is needed.
func (l *Leases) holding(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lease := l.held[name]
	return lease != nil && l.now().Before(expiry(lease).Add(-l.duration/3))
}

func (l *Leases) keep(lease *coordinationv1.Lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held[lease.Name] = lease
}

func (l *Leases) forget(name string) *coordinationv1.Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	lease := l.held[name]
	delete(l.held, name)
	return lease
}

// Release gives up the Lease of key for kind, if this replica holds it.
// A non-zero captured is kept as the target's last capture, for the
// cooldown, and the Lease stays so that other replicas see it; a target
// released without a capture loses its Lease.
func (l *Leases) Release(ctx context.Context, kind, key string, captured time.Time) error {
	name := LeaseName(kind, key)
	lease := l.forget(name)
	if lease == nil {
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := l.release(ctx, lease, kind, captured)
		if apierrors.IsConflict(err) && attempt < 2 {
			// Renewed meanwhile: release what the API server holds, if
			// it is still this replica's.
			cur, gerr := l.client.Get(ctx, name, metav1.GetOptions{})
			if gerr != nil || holderOf(cur) != l.identity {
				return nil
			}
			lease = cur
			continue
		}
		if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("release lease %s: %w", name, err)
		}
		return nil
	}
}

func (l *Leases) release(ctx context.Context, lease *coordinationv1.Lease, kind string, captured time.Time) error {
	if kind == capture.ClaimTarget && captured.IsZero() && lastCapture(lease).IsZero() {
		rv := lease.ResourceVersion
		return l.client.Delete(ctx, lease.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	}
	next := lease.DeepCopy()
	next.Spec.HolderIdentity = nil
	if next.Annotations == nil {
		next.Annotations = make(map[string]string)
	}
	next.Annotations[annotationFormer] = l.identity
	if !captured.IsZero() {
		next.Annotations[annotationLast] = captured.UTC().Format(time.RFC3339Nano)
	}
	_, err := l.client.Update(ctx, next, metav1.UpdateOptions{})
	return err
}

// Drop deletes the Lease of key for kind, if nobody else holds it live:
// the incident it stood for is closed.
func (l *Leases) Drop(ctx context.Context, kind, key string) error {
	name := LeaseName(kind, key)
	l.forget(name)
	cur, err := l.client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("drop lease %s: %w", name, err)
	}
	if h := holderOf(cur); h != "" && h != l.identity && !expired(cur, l.now()) {
		return nil
	}
	return l.delete(ctx, cur)
}

// delete removes lease unless it changed since it was read.
func (l *Leases) delete(ctx context.Context, lease *coordinationv1.Lease) error {
	rv := lease.ResourceVersion
	err := l.client.Delete(ctx, lease.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete lease %s: %w", lease.Name, err)
	}
	return nil
}

// Renew renews every Lease this replica holds, a few at a time. It
// returns the kinds of the Leases lost: changed by another replica since
// (it took them over after they expired), or deleted.
func (l *Leases) Renew(ctx context.Context) (lost []string, err error) {
	l.mu.Lock()
	held := make([]*coordinationv1.Lease, 0, len(l.held))
	for _, lease := range l.held {
		held = append(held, lease)
	}
	l.mu.Unlock()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, renewWorkers)
	)
	for _, lease := range held {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			next := lease.DeepCopy()
			l.stamp(next, l.now(), false)
			updated, uerr := l.client.Update(ctx, next, metav1.UpdateOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case uerr == nil:
				l.replace(lease, updated)
			case apierrors.IsConflict(uerr) || apierrors.IsNotFound(uerr):
				if l.drop(lease) {
					lost = append(lost, lease.Labels[LabelLeaseKind])
				}
			default:
				errs = append(errs, fmt.Errorf("renew lease %s: %w", lease.Name, uerr))
			}
		})
	}
	wg.Wait()
	return lost, errors.Join(errs...)
}

// renewWorkers bounds the renewals in flight at once.
const renewWorkers = 8

// replace keeps updated as the held Lease, unless it was released or
// replaced meanwhile.
func (l *Leases) replace(was, updated *coordinationv1.Lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[was.Name] == was {
		l.held[was.Name] = updated
	}
}

func (l *Leases) drop(was *coordinationv1.Lease) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[was.Name] != was {
		return false
	}
	delete(l.held, was.Name)
	return true
}

// Held is the number of Leases this replica holds.
func (l *Leases) Held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// Orphans returns the keys of the incident Leases that no live replica
// holds: their holder released them or let them expire.
func (l *Leases) Orphans(ctx context.Context) ([]string, error) {
	list, err := l.list(ctx, capture.ClaimIncident)
	if err != nil {
		return nil, err
	}
	now := l.now()
	var keys []string
	for i := range list {
		lease := &list[i]
		if h := holderOf(lease); h == "" || (h != l.identity && expired(lease, now)) {
			keys = append(keys, lease.Annotations[annotationKey])
		}
	}
	return keys, nil
}

// Clean deletes the target Leases nobody holds whose last capture is
// older than cooldown, so that their number stays bounded by the targets
// captured within one cooldown. It returns how many it deleted.
func (l *Leases) Clean(ctx context.Context, cooldown time.Duration) (int, error) {
	list, err := l.list(ctx, capture.ClaimTarget)
	if err != nil {
		return 0, err
	}
	now := l.now()
	n := 0
	var errs []error
	for i := range list {
		lease := &list[i]
		if h := holderOf(lease); h != "" && !expired(lease, now) {
			continue
		}
		if last := lastCapture(lease); !last.IsZero() && now.Sub(last) < cooldown {
			continue
		}
		if err := l.delete(ctx, lease); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (l *Leases) list(ctx context.Context, kind string) ([]coordinationv1.Lease, error) {
	sel := LabelManagedBy + "=" + managedBy + "," + LabelLeaseKind + "=" + kind
	list, err := l.client.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list %s leases: %w", kind, err)
	}
	return list.Items, nil
}

func holderOf(lease *coordinationv1.Lease) string {
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// expiry is when lease expires unless renewed: renewTime (or acquireTime)
// plus its duration.
func expiry(lease *coordinationv1.Lease) time.Time {
	var at time.Time
	switch {
	case lease.Spec.RenewTime != nil:
		at = lease.Spec.RenewTime.Time
	case lease.Spec.AcquireTime != nil:
		at = lease.Spec.AcquireTime.Time
	}
	var secs int32
	if lease.Spec.LeaseDurationSeconds != nil {
		secs = *lease.Spec.LeaseDurationSeconds
	}
	return at.Add(time.Duration(secs) * time.Second)
}

func expired(lease *coordinationv1.Lease, now time.Time) bool { return !now.Before(expiry(lease)) }

func lastCapture(lease *coordinationv1.Lease) time.Time {
	t, err := time.Parse(time.RFC3339Nano, lease.Annotations[annotationLast])
	if err != nil {
		return time.Time{}
	}
	return t
}
