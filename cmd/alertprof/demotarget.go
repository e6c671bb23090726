package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alertprof/alertprof/cmd/alertprof/internal/demotarget"
)

// demoTargetCommand runs the demo's misbehaving service. It is not listed
// in the usage: the demo and the tests start it.
const demoTargetCommand = "demo-target"

// runDemoTarget serves the demo service. It prints "listening ADDR" once
// ready, and exits on SIGTERM, when its standard input closes (its parent
// is gone), or after --max-lifetime.
func runDemoTarget(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(demoTargetCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	lifetime := fs.Duration("max-lifetime", 10*time.Minute, "exit after this long")
	watchStdin := fs.Bool("exit-on-stdin-eof", true, "exit when standard input closes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "demo-target:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	if err := demotarget.Serve(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "demo-target:", err)
		return 1
	}
	return 0
}
