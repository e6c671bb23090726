// Command alertprof receives Alertmanager webhooks about Go services and
// answers each alert with pprof evidence: it captures profiles from the
// firing process, stores them, and posts a short summary.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/common/version"
)

const usage = `alertprof turns an alert about a Go service into pprof evidence.

Usage:
  alertprof serve   [--config FILE] [--listen ADDR] [--kubeconfig FILE]
                                                      run the webhook receiver
  alertprof analyze [--top N] [--format text|json] [--sample-index NAME] FILE...
                                                      summarize profiles on disk
  alertprof capture [-n NS] (POD | NS/POD | -l SELECTOR | --address HOST:PORT) [--server URL]
                    [--profiles LIST] [--kind KIND] [--cpu-seconds N] [--out DIR]
                    [--format text|json] [--notify] [--config FILE] [--kubeconfig FILE]
                                                      capture a pod now and print its report
  alertprof demo    [--dir DIR] [--cpu-seconds N]     run the whole pipeline locally
  alertprof version

Environment:
  ALERTPROF_WEBHOOK_TOKEN   bearer token Alertmanager must send (recommended)
`

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "analyze":
		return runAnalyze(args[1:], stdout, stderr)
	case "capture":
		return runCapture(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case demoTargetCommand:
		return runDemoTarget(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, version.Print("alertprof"))
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "alertprof: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func newLogger(w io.Writer, cfg LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
