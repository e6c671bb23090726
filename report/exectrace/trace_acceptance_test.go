package exectrace

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/internal/testprog"
)

// startSlowPeer runs the slowpeer program with args and returns the
// address of its pprof server; the program stops when the test ends.
func startSlowPeer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	addr, _ := testprog.Run(t, bin, "pprof ", args...)
	return addr
}

// TestTraceNamesNetworkWaitOnASlowPeer is the acceptance test of the
// execution trace summary: on a real Go program whose handlers call a
// slow TCP peer, a trace fetched over HTTP from /debug/pprof/trace, the
// way alertprof captures a pod, names network wait as the dominant state
// and main.callBackend as the caller, while the CPU is idle.
func TestTraceNamesNetworkWaitOnASlowPeer(t *testing.T) {
	cases := []struct {
		name  string
		delay string
	}{
		// Requests take 300 ms: goroutines block and unblock during
		// the window.
		{"slow peer", "300ms"},
		// The peer never answers within the window: the handlers are
		// blocked from before the trace starts to after it ends.
		{"peer stuck for the whole window", "1h"},
	}
	bin := testprog.Build(t, "../testdata/gen/slowpeer")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := startSlowPeer(t, bin, "-delay", c.delay, "-clients", "12")
			p, err := capture.ProfileFor("trace", capture.Settings{TraceSeconds: 2})
			if err != nil {
				t.Fatal(err)
			}
			target := capture.Target{Namespace: "static", Pod: "slowpeer", Address: addr, Scheme: "http", Path: "/debug/pprof"}
			res := capture.NewFetcher(nil, 0, 30*time.Second).Fetch(context.Background(), target, p)
			if res.Err != nil {
				t.Fatalf("fetch trace: %v", res.Err)
			}
			s, err := Summarize(bytes.NewReader(res.Data), Options{Top: 5})
			if err != nil {
				t.Fatalf("summarize %d-byte trace: %v", len(res.Data), err)
			}
			var text strings.Builder
			if err := Write(&text, s); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes, %d events:\n%s", len(res.Data), s.Events, text.String())

			if s.Dominant != Network {
				t.Errorf("dominant state %q, want %q", s.Dominant, Network)
			}
			if s.Culprit != "main.callBackend" {
				t.Errorf("culprit %q, want main.callBackend", s.Culprit)
			}
			if !strings.Contains(s.Headline, "network wait") || !strings.Contains(s.Headline, "main.callBackend") {
				t.Errorf("headline %q does not say network wait in main.callBackend", s.Headline)
			}
			if len(s.Network) == 0 || s.Network[0].Caller != "main.callBackend" || s.Network[0].Goroutines < 1 {
				t.Errorf("top network stack %+v, want main.callBackend", s.Network)
			} else if !strings.HasPrefix(s.Network[0].Frames[0], "internal/poll.") {
				t.Errorf("top network stack starts at %q, want the poller's read", s.Network[0].Frames[0])
			}
			var network, running State
			for _, st := range s.States {
				switch st.State {
				case Network:
					network = st
				case Running:
					running = st
				}
			}
			if network.Pct <= 50 || running.Time >= network.Time {
				t.Errorf("network wait %.1f%%, running %s: want most goroutine time on the network", network.Pct, running.Time)
			}
			if s.CPUBusy >= idleBusy || s.Procs < 1 {
				t.Errorf("CPU %.1f%% busy of %d Ps, want an idle CPU", s.CPUBusy, s.Procs)
			}
			if !s.WaitBound() {
				t.Errorf("the trace does not explain the latency by waits: %+v", s)
			}
		})
	}
}
