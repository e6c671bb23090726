// Command slowpeer is a test program for the execution-trace summary: its
// HTTP handlers call a slow TCP peer, so its request goroutines spend
// nearly all their time waiting on the network while the CPU is idle.
//
// The peer (a listener that answers each line after -delay) and the
// clients that keep the handlers busy run in a child process of the same
// binary, as they would run on other hosts: the traced process holds only
// the service. It serves net/http/pprof on a loopback address, prints
// "pprof ADDR" on stdout once it is ready, and runs until its stdin closes
// or -for has passed; it says it is ready only once every client has a
// request in the handler. The culprit a trace summary must name is
// main.callBackend.
//
//	go build -o slowpeer ./report/testdata/gen/slowpeer
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	role := flag.String("role", "service", "service, or load (the peer and the clients)")
	delay := flag.Duration("delay", 300*time.Millisecond, "how long the peer takes to answer")
	clients := flag.Int("clients", 12, "concurrent clients of the HTTP handler")
	app := flag.String("app", "", "load: the service's address")
	life := flag.Duration("for", 2*time.Minute, "exit after this long even if stdin stays open")
	flag.Parse()
	if *role == "load" {
		runLoad(*app, *delay, *clients)
		return
	}

	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	load := exec.Command(os.Args[0], "-role", "load", "-app", appLn.Addr().String(),
		"-delay", delay.String(), "-clients", strconv.Itoa(*clients))
	load.Stderr = os.Stderr
	stop, err := load.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	out, err := load.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := load.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	peer, ok := strings.CutPrefix(strings.TrimSpace(line), "peer ")
	if err != nil || !ok {
		log.Fatalf("load process: %q %v", line, err)
	}

	// Ready once every client has a request in the handler, so that a
	// trace taken right after "pprof ADDR" sees the service busy.
	var started atomic.Int64
	busy := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/order", func(w http.ResponseWriter, r *http.Request) {
		if started.Add(1) == int64(*clients) {
			close(busy)
		}
		reply, err := callBackend(peer)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, reply)
	})
	go func() { log.Fatal(http.Serve(appLn, mux)) }()

	dbg := http.NewServeMux()
	dbg.HandleFunc("/debug/pprof/", pprof.Index)
	dbg.HandleFunc("/debug/pprof/profile", pprof.Profile)
	dbg.HandleFunc("/debug/pprof/trace", pprof.Trace)
	dbgLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(http.Serve(dbgLn, dbg)) }()
	select {
	case <-busy:
	case <-time.After(30 * time.Second):
		log.Printf("only %d of %d clients reached the handler", started.Load(), *clients)
	}
	fmt.Printf("pprof %s\n", dbgLn.Addr())

	waitForStdin(*life)
	stop.Close()
	load.Wait()
}

// waitForStdin returns when stdin closes or after life.
func waitForStdin(life time.Duration) {
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(life):
	}
}

// runLoad runs the slow peer and the clients until stdin closes.
func runLoad(app string, delay time.Duration, clients int) {
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go servePeer(peer, delay)
	fmt.Printf("peer %s\n", peer.Addr())
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() { client("http://" + app + "/order") })
	}
	waitForStdin(time.Hour)
}

// callBackend asks the slow peer for an answer over a fresh connection:
// the culprit, since the peer takes its time.
func callBackend(addr string) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "price?\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(conn).ReadString('\n')
}

// servePeer answers each connection's line after delay.
func servePeer(ln net.Listener, delay time.Duration) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
				return
			}
			time.Sleep(delay)
			io.WriteString(conn, "42\n")
		}()
	}
}

// client sends requests one after another, forever.
func client(url string) {
	for {
		resp, err := http.Get(url)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
