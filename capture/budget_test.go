package capture

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestBudgetRefusesWhatCouldNeverFit(t *testing.T) {
	b := NewBudget(100 << 20)
	_, err := b.Reserve(context.Background(), 101<<20)
	be, ok := errors.AsType[*OverBudgetError](err)
	if !ok || be.Need != 101<<20 || be.Size != 100<<20 {
		t.Fatalf("Reserve over the whole budget: %v, want an *OverBudgetError", err)
	}
	if !strings.Contains(err.Error(), "too large to analyse within the memory budget: about 101.0 MiB needed, the budget is 100.0 MiB") {
		t.Errorf("message %q", err)
	}
	if b.Used() != 0 {
		t.Errorf("a refusal reserved %d bytes", b.Used())
	}
	if waits, refused := b.Counts(); waits != 0 || refused != 1 {
		t.Errorf("counts: %d waits, %d refused; want 0 and 1", waits, refused)
	}
}

func TestBudgetWaitsForItsShare(t *testing.T) {
	b := NewBudget(100)
	first, err := b.Reserve(context.Background(), 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.TryReserve(60); ok {
		t.Fatal("TryReserve took 60 of 100 with 60 in use")
	}
	got := make(chan error)
	go func() {
		release, err := b.Reserve(context.Background(), 60)
		if err == nil {
			release() // before the send, so that Used below sees it
		}
		got <- err
	}()
	first()
	first() // a second call gives nothing back twice
	if err := <-got; err != nil {
		t.Fatalf("the waiting reservation: %v", err)
	}
	if b.Used() != 0 {
		t.Errorf("%d bytes still reserved after both released", b.Used())
	}
}

func TestBudgetWaitEndsWithItsContext(t *testing.T) {
	b := NewBudget(100)
	hold, _ := b.Reserve(context.Background(), 100)
	defer hold()
	cause := errors.New("the fetch took longer than 3s")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if _, err := b.Reserve(ctx, 1); !errors.Is(err, cause) || !strings.Contains(err.Error(), "waiting for") {
		t.Fatalf("Reserve on an ended context: %v, want the context's cause", err)
	}
	if waits, refused := b.Counts(); waits != 1 || refused != 0 {
		t.Errorf("counts: %d waits, %d refused; want 1 and 0", waits, refused)
	}
}

func TestNilBudgetAdmitsEverything(t *testing.T) {
	var b *Budget
	release, err := b.Reserve(context.Background(), 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if _, ok := b.TryReserve(1 << 40); !ok || b.Size() != 0 || b.Used() != 0 {
		t.Error("a nil budget refused or counted")
	}
}

func TestReadBody(t *testing.T) {
	body := strings.Repeat("x", 300<<10)
	tests := []struct {
		name   string
		max    int64
		budget *Budget
		n      int
		cut    bool
		over   bool
	}{
		{name: "fits", max: 1 << 20, budget: NewBudget(4 << 20), n: len(body)},
		{name: "exactly the cap", max: int64(len(body)), budget: NewBudget(4 << 20), n: len(body)},
		{name: "cut at the cap", max: 100 << 10, budget: NewBudget(4 << 20), n: 100 << 10, cut: true},
		{name: "larger than the budget", max: 1 << 20, budget: NewBudget(200 << 10), over: true},
		{name: "no budget", max: 1 << 20, n: len(body)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, cut, release, err := readBody(context.Background(), strings.NewReader(body), tc.max, tc.budget)
			if _, ok := errors.AsType[*OverBudgetError](err); ok != tc.over {
				t.Fatalf("err = %v, want over budget %v", err, tc.over)
			}
			if !tc.over && (err != nil || len(data) != tc.n || cut != tc.cut) {
				t.Errorf("read %d bytes, cut %v, err %v; want %d, cut %v", len(data), cut, err, tc.n, tc.cut)
			}
			if tc.budget != nil && tc.budget.Used() > tc.budget.Size() {
				t.Errorf("reserved %d of %d", tc.budget.Used(), tc.budget.Size())
			}
			release()
			if tc.budget.Used() != 0 {
				t.Errorf("%d bytes still reserved after release", tc.budget.Used())
			}
		})
	}
}
