// Command leakafter is a test program: it serves net/http/pprof and stays
// healthy until asked to leak. GET /leak?chunks=N&every=D then retains N
// chunks of 1 MiB, one every D, in main.leakChunk, and returns once the
// leak has stopped (after a GC, so that the heap profile shows it). It
// prints "listening ADDR" when ready and exits when its stdin closes.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var (
	mu     sync.Mutex
	leaked [][]byte
)

// leakChunk retains one more chunk of 1 MiB.
//
//go:noinline
func leakChunk() {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i)
	}
	mu.Lock()
	leaked = append(leaked, b)
	mu.Unlock()
}

func serveLeak(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("chunks"))
	if err != nil || n < 1 || n > 1024 {
		http.Error(w, "chunks must be 1..1024", http.StatusBadRequest)
		return
	}
	every, err := time.ParseDuration(r.URL.Query().Get("every"))
	if err != nil || every < 0 || every > time.Second {
		http.Error(w, "every must be a duration up to 1s", http.StatusBadRequest)
		return
	}
	for range n {
		leakChunk()
		time.Sleep(every)
	}
	runtime.GC()
	runtime.GC()
	mu.Lock()
	total := len(leaked)
	mu.Unlock()
	fmt.Fprintf(w, "leaked %d MiB\n", total)
}

func main() {
	runtime.MemProfileRate = 4096
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/leak", serveLeak)
	go func() { _ = http.Serve(ln, nil) }()
	fmt.Printf("listening %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
}
