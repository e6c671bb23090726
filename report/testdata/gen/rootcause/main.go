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
// With -mode cpu, -waiters goroutines of main.hashPasswords spend their
// time in the standard library's SHA-256: the CPU is the library's, the
// cause is the user function calling it.
//
// With -mode grow, each GET /grow?mb=N stores N MiB more in a cache that
// never evicts, allocated by main.(*sessionStore).save.
//
// With -mode bursts (mutex profiling on), main.(*ledger).compact holds
// the lock across slow work with waiters queued behind it, then stops,
// all before the program prints its address: old contention. GET /burst
// then starts main.(*ledger).refresh doing the same until the program
// exits: the new contention, which a delta mutex profile taken after it
// started sees alone.
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
	mode := flag.String("mode", "leak", "leak, convoy, cpu, grow or bursts")
	waiters := flag.Int("waiters", 16, "convoy, bursts: goroutines waiting for the lock; cpu: busy goroutines")
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
	case "grow":
		store := &sessionStore{m: make(map[int][]byte)}
		mux.HandleFunc("/grow", func(w http.ResponseWriter, r *http.Request) {
			mb, err := strconv.Atoi(r.URL.Query().Get("mb"))
			if err != nil || mb < 1 {
				http.Error(w, "mb", http.StatusBadRequest)
				return
			}
			fmt.Fprintln(w, store.grow(mb))
		})
	case "cpu":
		for range *waiters {
			go hashPasswords()
		}
	case "bursts":
		runtime.SetMutexProfileFraction(1)
		oldBurst(*waiters)
		var once sync.Once
		mux.HandleFunc("/burst", func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() { newBurst(*waiters) })
			fmt.Fprintln(w, "started")
		})
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

// hashPasswords burns CPU in crypto/sha256, called from user code.
func hashPasswords() {
	sum := sha256.Sum256([]byte("password"))
	for {
		for range 10_000 {
			sum = sha256.Sum256(sum[:])
		}
		runtime.Gosched()
	}
}

// compact holds the lock across slow work: the old burst's culprit.
func (l *ledger) compact() {
	l.mu.Lock()
	time.Sleep(5 * time.Millisecond)
	l.mu.Unlock()
}

// refresh holds the lock across slow work: the new burst's culprit.
func (l *ledger) refresh() {
	l.mu.Lock()
	time.Sleep(5 * time.Millisecond)
	l.mu.Unlock()
}

// oldBurst runs 60 rounds of main.(*ledger).compact with waiters queued
// behind it, and returns when all are done: contention that is over.
func oldBurst(waiters int) {
	l := &ledger{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
					l.handleRequest()
				}
			}
		})
	}
	for range 60 {
		l.compact()
	}
	close(done)
	wg.Wait()
}

// newBurst starts main.(*ledger).refresh with waiters queued behind it,
// until the program exits.
func newBurst(waiters int) {
	l := &ledger{}
	go func() {
		for {
			l.refresh()
		}
	}()
	for range waiters {
		go func() {
			for {
				l.lookup()
			}
		}()
	}
}

// lookup is the new burst's request: it needs the lock briefly.
func (l *ledger) lookup() {
	l.mu.Lock()
	l.count--
	l.mu.Unlock()
	time.Sleep(100 * time.Microsecond)
}

// sessionStore is a cache that never evicts.
type sessionStore struct {
	mu sync.Mutex
	m  map[int][]byte
}

// save stores one 4 KiB session: the growing allocator.
func (s *sessionStore) save(id int) {
	b := make([]byte, 4<<10)
	b[0] = byte(id)
	s.m[id] = b
}

// grow stores mb MiB more sessions and returns how many it holds.
func (s *sessionStore) grow(mb int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range mb * 256 {
		s.save(len(s.m))
	}
	return len(s.m)
}
