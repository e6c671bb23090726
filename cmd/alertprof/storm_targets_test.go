package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stormTargetsEnv, when set to a number N, makes the test binary serve N
// storm targets instead of running tests (see runStormTargets).
const stormTargetsEnv = "ALERTPROF_STORM_TARGETS"

// stormCounts is what the targets process saw: the profiles asked of each
// target and the most targets that had a request in flight at once.
type stormCounts struct {
	Requests map[string]map[string]int `json:"requests"` // addr -> endpoint[?debug=n] -> count
	MaxPods  int                       `json:"max_pods"`
}

// stormTargets are pprof servers standing in for pods, in a child process
// of their own: real net/http/pprof handlers, each on its own loopback
// port, counting the profiles asked of them and how many pods are being
// captured at once. In a cluster the pods run on other nodes; the child
// runs at a lower CPU priority so that serving 200 of them on the
// receiver's machine does not pass for the receiver's own cost.
type stormTargets struct {
	addrs   []string
	control string
}

func startStormTargets(b testing.TB, n int) *stormTargets {
	args := []string{"-n", "10", os.Args[0], "-test.run=^$", "-test.bench=^$"}
	cmd := exec.Command("nice", args...)
	cmd.Env = append(os.Environ(), stormTargetsEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the storm targets: %v", err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	st := &stormTargets{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			break
		}
		if addr, ok := strings.CutPrefix(line, "control "); ok {
			st.control = addr
			continue
		}
		st.addrs = append(st.addrs, line)
	}
	if len(st.addrs) != n || st.control == "" {
		b.Fatalf("storm targets: got %d addresses and control %q, want %d", len(st.addrs), st.control, n)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return st
}

func (st *stormTargets) counts(b testing.TB) stormCounts {
	resp, err := http.Get("http://" + st.control + "/counts")
	if err != nil {
		b.Fatalf("storm targets: %v", err)
	}
	defer resp.Body.Close()
	var c stormCounts
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&c); err != nil {
		b.Fatalf("storm targets: %v", err)
	}
	return c
}

// tally returns how many targets were captured once, more than once, or
// not at all; partly counts the ones captured in part, so far. A capture
// is one request of each of the plan's planSize endpoints (a path and its
// debug parameter).
func (st *stormTargets) tally(b testing.TB, planSize int) (once, twice, none, partly int) {
	c := st.counts(b)
	for _, a := range st.addrs {
		asked := c.Requests[a]
		repeated := false
		for _, n := range asked {
			repeated = repeated || n > 1
		}
		switch {
		case len(asked) == 0:
			none++
		case repeated:
			twice++
		case len(asked) == planSize:
			once++
		default:
			partly++
		}
	}
	return
}

// runStormTargets serves n pprof targets and a control endpoint, prints
// "control <addr>", the targets' addresses and "ready", and serves until
// stdin closes.
func runStormTargets(n int) {
	var (
		mu       sync.Mutex
		counts   = stormCounts{Requests: map[string]map[string]int{}}
		active   = map[string]int{}
		inFlight int
	)
	count := func(addr string, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
			if d := r.URL.Query().Get("debug"); d != "" {
				name += "?debug=" + d
			}
			mu.Lock()
			if counts.Requests[addr] == nil {
				counts.Requests[addr] = map[string]int{}
			}
			counts.Requests[addr][name]++
			if active[addr] == 0 {
				inFlight++
				counts.MaxPods = max(counts.MaxPods, inFlight)
			}
			active[addr]++
			mu.Unlock()
			// The response is only complete once this returns, so the count
			// drops before the receiver can see the end of the body.
			defer func() {
				mu.Lock()
				active[addr]--
				if active[addr] == 0 {
					inFlight--
				}
				mu.Unlock()
			}()
			next.ServeHTTP(w, r)
		})
	}
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "storm targets:", err)
			os.Exit(1)
		}
		return ln
	}
	out := bufio.NewWriter(os.Stdout)
	for range n {
		ln := listen()
		addr := ln.Addr().String()
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile) // one CPU profiler per process: one target per process for CPU plans
		srv := &http.Server{Handler: count(addr, mux), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Fprintln(out, addr)
	}
	ctl := listen()
	go func() {
		_ = http.Serve(ctl, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			_ = json.NewEncoder(w).Encode(counts)
		}))
	}()
	fmt.Fprintln(out, "control", ctl.Addr().String())
	fmt.Fprintln(out, "ready")
	out.Flush()
	_, _ = io.Copy(io.Discard, os.Stdin)
}
