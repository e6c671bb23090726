package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"testing"
	"time"
)

// gzipZeros is gzip of n zero bytes: a few kilobytes that inflate to n.
func gzipZeros(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func answering(t *testing.T, body []byte) Target {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	return serverTarget(srv.Listener.Addr().String())
}

// TestFetchLeavesOversizedProfilesToTheAnalysis: a body that inflates past
// the decoded cap, or whose decoding does not fit in the budget now, is
// kept raw and undecoded (the analysis then reports it or decodes it
// within its share); a small profile is decoded and kept.
func TestFetchLeavesOversizedProfilesToTheAnalysis(t *testing.T) {
	var heap bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&heap, 0); err != nil {
		t.Fatal(err)
	}
	// Room for the body, not for decoding it.
	busy := NewBudget(8 << 20)
	hold, _ := busy.Reserve(context.Background(), 8<<20-512<<10)
	defer hold()
	tests := []struct {
		name       string
		body       []byte
		budget     *Budget
		wantParsed bool
	}{
		{name: "small profile", body: heap.Bytes(), budget: NewBudget(64 << 20), wantParsed: true},
		{name: "bomb past the decoded cap", body: gzipZeros(t, 16<<20), budget: NewBudget(64 << 20)},
		{name: "budget in use", body: heap.Bytes(), budget: busy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFetcher(nil, 0, 5*time.Second).WithLimits(4<<20, tc.budget)
			res := f.Fetch(context.Background(), answering(t, tc.body), mustProfile(t, "heap", 1))
			if res.Err != nil || !bytes.Equal(res.Data, tc.body) {
				t.Fatalf("err %v, %d bytes kept of %d", res.Err, len(res.Data), len(tc.body))
			}
			if (res.Parsed != nil) != tc.wantParsed {
				t.Errorf("parsed %v, want %v", res.Parsed != nil, tc.wantParsed)
			}
		})
	}
	if busy.Used() != 8<<20-512<<10 {
		t.Errorf("the fetches left %d bytes reserved, want only what the test holds", busy.Used())
	}
}

// TestFetchBodyWithinTheBudget: a body that would need more memory than
// the whole budget is cut with a clear error, and gives its share back.
func TestFetchBodyWithinTheBudget(t *testing.T) {
	b := NewBudget(1 << 20)
	res := NewFetcher(nil, 0, 5*time.Second).WithLimits(0, b).
		Fetch(context.Background(), answering(t, bytes.Repeat([]byte{0x08}, 3<<20)), mustProfile(t, "heap", 1))
	wantFetchError(t, res, ReasonTooLarge, "would not fit in the memory budget", "capture.memory_budget_bytes")
	if b.Used() != 0 {
		t.Errorf("%d bytes still reserved", b.Used())
	}
}
