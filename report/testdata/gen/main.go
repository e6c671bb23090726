//go:build ignore

// Command gen writes the real runtime/pprof profiles that package report
// tests against. It is not part of the module build; run it from the module
// root with
//
//	go run ./report/testdata/gen/main.go -out report/testdata
//
// It allocates (some memory retained, some garbage), burns CPU in a few
// distinct functions (one recursive, some inlined), parks goroutines in
// several ways, and provokes channel and mutex contention. It then writes
// heap.pb.gz, allocs.pb.gz, cpu.pb.gz, goroutine.pb.gz, block.pb.gz and
// mutex.pb.gz. Values differ from run to run; the tests compare against
// go tool pprof on whatever the files hold, so any run is a valid fixture.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"
)

// retained keeps heap objects alive so that they show up as in-use.
var retained [][]byte

// sink2 keeps other retained values alive.
var sink2 []any

// sink defeats dead-code elimination of results.
var sink any

func main() {
	out := flag.String("out", ".", "directory to write the profiles to")
	cpuFor := flag.Duration("cpu", 3*time.Second, "how long to record the CPU profile")
	flag.Parse()

	// A smaller sampling rate than the default 512 KiB gives the heap
	// profiles enough distinct stacks to be interesting while staying small.
	runtime.MemProfileRate = 16 << 10
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)

	retain()
	churn()
	contend()

	stop := park()
	defer stop()

	if err := writeCPU(filepath.Join(*out, "cpu.pb.gz"), *cpuFor); err != nil {
		log.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	for _, name := range []string{"heap", "allocs", "goroutine", "block", "mutex"} {
		if err := writeProfile(filepath.Join(*out, name+".pb.gz"), name); err != nil {
			log.Fatal(err)
		}
	}
	sink = retained
}

// newBuf is small enough to be inlined, so its allocations appear as an
// inlined frame inside its callers' locations.
func newBuf(n int) []byte { return make([]byte, n) }

// retain allocates memory that stays live until the heap profile is written.
func retain() {
	for i := 0; i < 200; i++ {
		retained = append(retained, newBuf(8<<10))
	}
	retainLarge()
	retainStrings()
	retainMap()
	retainTree(12)
	retainRecords()
}

func retainMap() {
	m := make(map[string][]int, 5000)
	for i := 0; i < 5000; i++ {
		m[fmt.Sprint("key-", i)] = make([]int, 4)
	}
	sink2 = append(sink2, m)
}

type node struct {
	left, right *node
	payload     [48]byte
}

// retainTree is recursive, so the heap profile has repeated frames too.
func retainTree(depth int) *node {
	n := &node{}
	if depth > 0 {
		n.left = retainTree(depth - 1)
		n.right = retainTree(depth - 1)
	}
	if depth == 12 {
		sink2 = append(sink2, n)
	}
	return n
}

type record struct {
	id   int
	name string
	tags []string
}

func retainRecords() {
	rs := make([]*record, 0, 3000)
	for i := 0; i < 3000; i++ {
		rs = append(rs, &record{id: i, name: fmt.Sprint("r", i), tags: []string{"a", "b"}})
	}
	sink2 = append(sink2, rs)
}

func retainLarge() {
	for i := 0; i < 8; i++ {
		retained = append(retained, make([]byte, 256<<10))
	}
}

func retainStrings() {
	for i := 0; i < 2000; i++ {
		retained = append(retained, []byte(strings.Repeat("x", 100+i%50)))
	}
}

// churn allocates garbage, visible only in alloc_* sample types.
func churn() {
	for i := 0; i < 3000; i++ {
		sink = newBuf(4 << 10)
		sink = fmt.Sprintf("garbage %d %s", i, strings.Repeat("y", i%200))
	}
	churnMaps()
}

func churnMaps() {
	for i := 0; i < 200; i++ {
		m := make(map[int]string, 64)
		for j := 0; j < 64; j++ {
			m[j] = "v"
		}
		sink = m
	}
}

// fib is recursive so that one function appears several times per stack.
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func hashLoop(deadline time.Time) {
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		sum := sha256.Sum256(buf)
		buf[0] = sum[0]
	}
}

func sortLoop(deadline time.Time) {
	for time.Now().Before(deadline) {
		xs := make([]int, 2000)
		for i := range xs {
			xs[i] = (i * 7919) % 2003
		}
		sort.Ints(xs)
		sink = xs
	}
}

func fibLoop(deadline time.Time) {
	for time.Now().Before(deadline) {
		sink = fib(24)
	}
}

func writeCPU(path string, d time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, burn := range []func(time.Time){hashLoop, sortLoop, fibLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			burn(deadline)
		}()
	}
	wg.Wait()
	pprof.StopCPUProfile()
	return f.Close()
}

// park starts goroutines that wait in different ways, and returns a function
// that releases them.
func park() (stop func()) {
	done := make(chan struct{})
	var mu sync.Mutex
	mu.Lock()
	var cond = sync.NewCond(&sync.Mutex{})
	for i := 0; i < 20; i++ {
		go parkRecv(done)
	}
	for i := 0; i < 10; i++ {
		go parkSelect(done)
	}
	for i := 0; i < 5; i++ {
		go parkMutex(&mu)
	}
	for i := 0; i < 3; i++ {
		go parkCond(cond)
	}
	time.Sleep(100 * time.Millisecond)
	return func() {
		close(done)
		mu.Unlock()
		cond.Broadcast()
	}
}

func parkRecv(done chan struct{}) { <-done }

func parkSelect(done chan struct{}) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func parkMutex(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}

func parkCond(c *sync.Cond) {
	c.L.Lock()
	c.Wait()
	c.L.Unlock()
}

// contend makes goroutines wait on a channel and fight over a mutex, which
// fills the block and mutex profiles.
func contend() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20000; j++ {
				lockedIncrement(&mu, &counter)
			}
		}()
	}
	ch := make(chan int)
	go func() {
		for i := 0; i < 50; i++ {
			time.Sleep(time.Millisecond)
			ch <- i
		}
		close(ch)
	}()
	for v := range ch {
		counter += v
	}
	wg.Wait()
	sink = counter
}

func lockedIncrement(mu *sync.Mutex, counter *int) {
	mu.Lock()
	*counter++
	for k := 0; k < 100; k++ {
		sink = k
	}
	mu.Unlock()
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
