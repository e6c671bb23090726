// Command rootcause is a test program for the pod headline's root cause:
// it serves net/http/pprof on a loopback address, prints "pprof ADDR" on
// stdout once ready, and runs until its stdin closes.
//
// With -mode leak, each GET /leak?n=N leaks N-1 goroutines, and answers
// once all are parked: main.fetchAll
// starts a main.fetchWorker per item and returns after the first result,
// so the others block forever sending on an unbuffered channel. Their
// memory is goroutine descriptors and stacks, allocated by the runtime.
//
// With -mode convoy (mutex profiling on), main.(*ledger).rebuild holds
// the ledger's lock across slow work in a loop while -waiters goroutines
// of main.handleRequest queue in sync.Mutex.Lock: the holder is the cause,
// the waiters the symptom.
//
//	go build -o rootcause ./report/testdata/gen/rootcause
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func main() {
	mode := flag.String("mode", "leak", "leak or convoy")
	waiters := flag.Int("waiters", 16, "convoy: goroutines waiting for the lock")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	switch *mode {
	case "leak":
		mux.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) {
			n, err := strconv.Atoi(r.URL.Query().Get("n"))
			if err != nil || n < 1 {
				http.Error(w, "n", http.StatusBadRequest)
				return
			}
			first := fetchAll(n)
			settle(n - 1)
			fmt.Fprintln(w, first)
		})
	case "convoy":
		startConvoy(*waiters)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, mux)
	fmt.Printf("pprof %s\n", ln.Addr())
	// Run until stdin closes.
	bufio.NewReader(os.Stdin).ReadString(0)
}

// fetchAll starts a worker per item but returns after the first result:
// the other workers block forever on the unbuffered channel.
func fetchAll(items int) int {
	results := make(chan int)
	for i := range items {
		go fetchWorker(i, results)
	}
	return <-results
}

func fetchWorker(i int, results chan<- int) {
	results <- i * i
}

// settle waits until at least n goroutines are blocked in main.fetchWorker's
// send, so that a dump taken after /leak answers sees every one parked.
func settle(n int) {
	buf := make([]byte, 1<<20)
	for {
		for {
			m := runtime.Stack(buf, true)
			if m < len(buf) {
				buf = buf[:m]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		if bytes.Count(buf, []byte("[chan send]:\nmain.fetchWorker(")) >= n {
			return
		}
		buf = buf[:cap(buf)]
		runtime.Gosched()
	}
}

// ledger is shared state behind one lock.
type ledger struct {
	mu    sync.Mutex
	sum   [32]byte
	count int
}

// rebuild holds the lock across slow work (hashing, then a 10 ms write
// standing for I/O): the culprit.
func (l *ledger) rebuild() {
	l.mu.Lock()
	for range 1_000 {
		l.sum = sha256.Sum256(l.sum[:])
	}
	time.Sleep(10 * time.Millisecond)
	l.mu.Unlock()
}

// handleRequest needs the lock only briefly, once per request.
func (l *ledger) handleRequest() {
	l.mu.Lock()
	l.count++
	l.mu.Unlock()
	time.Sleep(100 * time.Microsecond) // the rest of the request
}

func startConvoy(waiters int) {
	runtime.SetMutexProfileFraction(1)
	l := &ledger{}
	go func() {
		for {
			l.rebuild()
		}
	}()
	for range waiters {
		go func() {
			for {
				l.handleRequest()
			}
		}()
	}
}
