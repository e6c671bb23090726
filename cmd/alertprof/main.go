// Command alertprof receives Alertmanager webhooks about Go services and
// answers each alert with pprof evidence: it captures profiles from the
// firing process, stores them, and posts a short summary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the command line args and returns the exit status: 0 on
// success (and for --help), 1 when the command failed, 2 for a usage
// error (an unknown command or flag, a missing argument).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if code, ok := errors.AsType[exitCode](err); ok {
		return int(code)
	}
	// Every other error is cobra's: the command line itself is wrong.
	fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
	return 2
}

// exitCode ends a command with a status once the command has printed
// why; exit(0) is no error.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func exit(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "alertprof",
		Short: "alertprof turns an alert about a Go service into pprof evidence",
		Long: `alertprof turns an alert about a Go service into pprof evidence: it
receives Alertmanager's webhooks, captures profiles from the firing pod,
stores them and posts a short report, one Slack thread per incident.`,
		RunE:          noSubcommand,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.AddCommand(
		newServeCommand(),
		newCaptureCommand(),
		newAnalyzeCommand(),
		newCheckConfigCommand(),
		newDemoCommand(),
		newDemoTargetCommand(),
		newVersionCommand(),
	)
	// cobra's completion command (bash, zsh, fish, powershell), strict
	// like the root: an unknown shell is a usage error.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args, c.RunE = cobra.NoArgs, noSubcommand
		}
	}
	return root
}

// noSubcommand is the run of a command that only groups others: without
// one it prints the usage on stderr and exits 2, as an unknown one does.
func noSubcommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	_ = cmd.Usage()
	return exitCode(2)
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
