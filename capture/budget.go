package capture

import (
	"context"
	"fmt"
	"sync"
)

// DefaultBudget is the memory budget for decoding and analysing profiles
// unless configured otherwise: with the Go runtime, the clients and the
// queue it fits a receiver in a pod limited to 256 MiB (the hostile-target
// test holds it there), and it admits the streamed summary of a profile
// of DefaultMaxDecodedBytes.
const DefaultBudget = 128 << 20

// OverBudgetError is returned by Budget.Reserve for work that could never
// fit: it needs more than the whole budget.
type OverBudgetError struct {
	Need, Size int64
}

func (e *OverBudgetError) Error() string {
	return fmt.Sprintf("too large to analyse within the memory budget: about %s needed, the budget is %s",
		mib(e.Need), mib(e.Size))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Budget admits memory-heavy work (reading a body, decoding and analysing
// a profile) by its size: each piece reserves an estimate of the memory
// it needs and waits while the budget is in use by others. So however
// many targets answer at once, and whatever they answer, the receiver's
// heap stays near the budget. A nil *Budget admits everything.
type Budget struct {
	size int64
	mu   sync.Mutex
	used int64
	// freed is closed and replaced whenever memory is given back, waking
	// the waiters to try again.
	freed chan struct{}
	// waits counts reservations that had to wait, refused those that
	// could never fit.
	waits, refused int64
}

// NewBudget returns a budget of size bytes (<=0 means DefaultBudget).
func NewBudget(size int64) *Budget {
	if size <= 0 {
		size = DefaultBudget
	}
	return &Budget{size: size, freed: make(chan struct{})}
}

// Size is the whole budget in bytes; 0 for a nil budget.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// Reserve takes n bytes of the budget, waiting until they are free or ctx
// ends. It returns the function that gives them back (call it once). Work
// larger than the whole budget is refused at once with an
// *OverBudgetError; a wait cut short returns ctx's cause.
func (b *Budget) Reserve(ctx context.Context, n int64) (release func(), err error) {
	if b == nil || n <= 0 {
		return func() {}, nil
	}
	if n > b.size {
		b.mu.Lock()
		b.refused++
		b.mu.Unlock()
		return nil, &OverBudgetError{Need: n, Size: b.size}
	}
	for waited := false; ; waited = true {
		b.mu.Lock()
		if b.used+n <= b.size {
			b.used += n
			b.mu.Unlock()
			return sync.OnceFunc(func() { b.give(n) }), nil
		}
		if !waited {
			b.waits++
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s of the memory budget: %w", mib(n), context.Cause(ctx))
		}
	}
}

// TryReserve is Reserve without the wait: ok is false when n bytes are
// not free now.
func (b *Budget) TryReserve(n int64) (release func(), ok bool) {
	if b == nil || n <= 0 {
		return func() {}, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.size {
		return nil, false
	}
	b.used += n
	return sync.OnceFunc(func() { b.give(n) }), true
}

// Used is how many bytes are reserved now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Counts returns how many reservations had to wait for their share and
// how many were refused because they could never fit.
func (b *Budget) Counts() (waits, refused int64) {
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waits, b.refused
}

func (b *Budget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// DefaultMaxDecodedBytes caps a pprof profile once decompressed unless
// configured otherwise. The streamed summary of a profile this size whose
// tables are a small part of it, as in real heap and CPU profiles, fits
// in DefaultBudget (format.StreamCost); one made mostly of tables is
// refused by the budget with its reason.
const DefaultMaxDecodedBytes = 64 << 20
