// Command memspike serves net/http/pprof after shaping its heap: with
// -spike N it allocates N MiB, drops it and collects, so its heap looks
// small while the runtime still holds the memory. It prints its address
// on stdout and serves until stdin closes.
//
// After the spike it sets GOGC=off: without a GC goal the background
// scavenger has nothing to aim for and keeps the idle heap, so what the
// test sees does not depend on how fast the scavenger runs.
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
	"runtime/debug"
)

var live [][]byte

func main() {
	spike := flag.Int("spike", 0, "MiB to allocate and free before serving")
	flag.Parse()
	for range 4 { // a small live heap: 4 MiB in 64 KiB chunks
		for range 16 {
			live = append(live, make([]byte, 64<<10))
		}
	}
	if *spike > 0 {
		held := make([][]byte, 0, *spike*16)
		for range *spike * 16 {
			b := make([]byte, 64<<10)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1 // touch every page so it is resident
			}
			held = append(held, b)
		}
		runtime.KeepAlive(held)
		debug.SetGCPercent(-1)
	}
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
