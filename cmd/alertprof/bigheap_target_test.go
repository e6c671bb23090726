package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
)

// bigHeapEnv, when set to a number N, makes the test binary a Go service
// with a large heap profile instead of running tests (see
// runBigHeapTarget).
const bigHeapEnv = "ALERTPROF_BIGHEAP_TARGET"

func init() {
	if n, err := strconv.Atoi(os.Getenv(bigHeapEnv)); err == nil {
		runBigHeapTarget(n)
		os.Exit(0)
	}
}

// runBigHeapTarget serves net/http/pprof on a loopback port and prints
// "listening ADDR"; then, recording every allocation (runtime.MemProfileRate
// = 1), it allocates from n distinct stacks some 45 frames deep, keeping a
// quarter of the allocations live, prints "allocated" and serves until
// stdin closes.
func runBigHeapTarget(n int) {
	runtime.MemProfileRate = 1
	bigHeapSteps = [16]func(*[bigHeapDigits]byte, int){bh0, bh1, bh2, bh3, bh4, bh5, bh6, bh7, bh8, bh9, bh10, bh11, bh12, bh13, bh14, bh15}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	go func() { _ = http.Serve(ln, mux) }()
	fmt.Println("listening", ln.Addr())
	for i := range n {
		var path [bigHeapDigits]byte
		for d, v := 0, i; d < bigHeapDigits; d, v = d+1, v/16 {
			path[d] = byte(v % 16)
		}
		bigHeapDeep(&path, 20)
	}
	fmt.Println("allocated")
	_, _ = io.Copy(io.Discard, os.Stdin)
	runtime.KeepAlive(bigHeapLive)
}

const bigHeapDigits = 8

var (
	bigHeapSteps [16]func(*[bigHeapDigits]byte, int)
	bigHeapLive  [][]byte
	bigHeapCount int
)

// bigHeapDeep recurses depth times before the distinct part of the stack.
//
//go:noinline
func bigHeapDeep(p *[bigHeapDigits]byte, depth int) {
	if depth > 0 {
		bigHeapDeep(p, depth-1)
		return
	}
	bigHeapStep(p, 0)
}

// bigHeapStep calls the function digit d of the path names, and allocates
// at the path's end: each path is a distinct stack.
//
//go:noinline
func bigHeapStep(p *[bigHeapDigits]byte, d int) {
	if d == len(p) {
		b := make([]byte, 32)
		if bigHeapCount++; bigHeapCount%4 == 0 {
			bigHeapLive = append(bigHeapLive, b)
		}
		return
	}
	bigHeapSteps[p[d]](p, d+1)
}

//go:noinline
func bh0(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh1(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh2(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh3(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh4(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh5(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh6(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh7(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh8(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh9(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh10(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh11(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh12(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh13(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh14(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }

//go:noinline
func bh15(p *[bigHeapDigits]byte, d int) { bigHeapStep(p, d) }
