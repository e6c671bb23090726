package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newCheckConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check-config FILE",
		Short: "Check a configuration file and print every problem in it",
		Long: `Check a configuration file as serve would load it, with this
environment (secrets from ALERTPROF_* and SLACK_BOT_TOKEN), and print every
problem at once, one line each with the line of its key:

  config.yaml:12: capture.cooldown must be positive (got 0s): ...
  config.yaml:3: unknown key captur (did you mean capture?)

The exit status is 1 when there is a problem; without one it prints "ok".`,
		Example: "  alertprof check-config /etc/alertprof/config.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(checkConfig(args[0], os.Getenv, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	return withEnv(cmd, configEnv)
}

// checkConfig loads path and prints its problems, one per line, on
// stdout (they are what was asked for); a file that cannot be read is
// an error on stderr.
func checkConfig(path string, getenv func(string) string, stdout, stderr io.Writer) int {
	_, err := loadConfig(path, getenv)
	if err == nil {
		fmt.Fprintln(stdout, "ok")
		return 0
	}
	ce, ok := errors.AsType[*configErrors](err)
	if !ok {
		fmt.Fprintln(stderr, "alertprof check-config:", err)
		return 1
	}
	for _, l := range ce.Lines() {
		fmt.Fprintln(stdout, l)
	}
	return 1
}
