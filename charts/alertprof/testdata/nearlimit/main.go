// Command nearlimit is a service whose heap is held by one function, for
// the test of a pod near its memory limit: with -heap N it keeps N MiB
// (rounded down to 4 MiB chunks, each sampled by the heap profiler with
// near certainty) under main.fillCache, then serves net/http/pprof on
// -listen. It prints its address on stdout and serves until stdin closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
)

const chunk = 4 << 20

var cache [][]byte

// fillCache keeps mib MiB alive, every page touched so it is resident.
func fillCache(mib int) {
	for range mib * (1 << 20) / chunk {
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		cache = append(cache, b)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve pprof on")
	heap := flag.Int("heap", 0, "MiB to keep in the heap")
	flag.Parse()
	fillCache(*heap)
	runtime.GC()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(ln, mux))
}
