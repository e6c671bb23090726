package capture

import "runtime"

// Gate bounds the CPU-heavy work of the whole receiver (decoding and
// analysing profiles) to a number of goroutines at once. With one fewer
// than the cores Go uses, a core stays free to acknowledge webhooks while
// an alert storm's profiles are being processed. A nil Gate bounds
// nothing.
type Gate chan struct{}

// NewGate returns a gate of n slots; n <= 0 means GOMAXPROCS-1, at least 1.
func NewGate(n int) Gate {
	if n <= 0 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return make(Gate, n)
}

// Do runs f in a slot.
func (g Gate) Do(f func()) {
	if g == nil {
		f()
		return
	}
	g <- struct{}{}
	defer func() { <-g }()
	f()
}
