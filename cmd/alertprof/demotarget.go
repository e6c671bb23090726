package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/alertprof/alertprof/cmd/alertprof/internal/demotarget"
)

// demoTargetCommand runs the demo's misbehaving service. It is hidden
// from the usage: the demo and the tests start it.
const demoTargetCommand = "demo-target"

// newDemoTargetCommand serves the demo service. It prints "listening
// ADDR" once ready, and exits on SIGTERM, when its standard input closes
// (its parent is gone), or after --max-lifetime.
func newDemoTargetCommand() *cobra.Command {
	var (
		listen     string
		lifetime   time.Duration
		watchStdin bool
	)
	cmd := &cobra.Command{
		Use:    demoTargetCommand + " [flags]",
		Short:  "Serve the demo's misbehaving Go service (started by demo and the tests)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exit(runDemoTarget(cmd.Context(), listen, lifetime, watchStdin, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "listen address")
	fs.DurationVar(&lifetime, "max-lifetime", 10*time.Minute, "exit after this long")
	fs.BoolVar(&watchStdin, "exit-on-stdin-eof", true, "exit when standard input closes")
	return cmd
}

func runDemoTarget(ctx context.Context, listen string, lifetime time.Duration, watchStdin bool, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintln(stderr, "demo-target:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()
	if watchStdin {
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
