package exectrace

import (
	"bytes"
	"runtime/trace"
	"testing"
	"time"
)

// FuzzSummarize feeds arbitrary bytes to Summarize: it must never
// panic, and whatever it summarizes must add up (the states sum to the
// total, shares are percentages, no stack holds more time than its state).
func FuzzSummarize(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new input, which takes
	// long on a whole trace (testdata/trace/slowpeer.out is 22 KB).
	var empty bytes.Buffer
	if err := trace.Start(&empty); err != nil {
		f.Fatal(err)
	}
	trace.Stop()
	f.Add(empty.Bytes())
	f.Add([]byte("go 1.26 trace\x00\x00\x00"))
	f.Add([]byte("go 1.22 trace\x00\x00\x00\x01"))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Summarize(bytes.NewReader(data), Options{Top: 3})
		if err != nil {
			if s != nil {
				t.Errorf("summary %+v returned with error %v", s, err)
			}
			return
		}
		var sum time.Duration
		for _, st := range s.States {
			if st.Time < 0 || st.Pct < 0 || st.Pct > 100.0001 {
				t.Errorf("state %+v", st)
			}
			sum += st.Time
		}
		if sum != s.Total {
			t.Errorf("states add up to %s, total %s", sum, s.Total)
		}
		byState := map[string]time.Duration{}
		for _, st := range s.States {
			byState[st.State] = st.Time
		}
		for _, part := range []struct {
			state  string
			stacks []Stack
		}{{Network, s.Network}, {Sync, s.Sync}} {
			if len(part.stacks) > 3 {
				t.Errorf("%d %s stacks, asked for 3", len(part.stacks), part.state)
			}
			for _, st := range part.stacks {
				if st.Time <= 0 || st.Time > byState[part.state] || len(st.Frames) == 0 || st.Caller == "" {
					t.Errorf("%s stack %+v (state total %s)", part.state, st, byState[part.state])
				}
			}
		}
		var text bytes.Buffer
		if err := Write(&text, s); err != nil {
			t.Error(err)
		}
	})
}
