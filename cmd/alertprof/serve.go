package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// serveFlags are the flags of `alertprof serve`.
type serveFlags struct {
	configPath, listen, kubeconfig string
}

func newServeCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the webhook receiver",
		Long: `Run the webhook receiver: Alertmanager posts alerts to /api/v1/alerts,
alertprof captures the firing pods' profiles and reports them.

The Kubernetes API is reached with capture.kubernetes.kubeconfig (or
--kubeconfig), else $KUBECONFIG, else the in-cluster service account;
~/.kube/config is never read, so a laptop without KUBECONFIG stays in
static mode.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exit(runServe(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "", "YAML configuration file (defaults apply without one)")
	fl.StringVar(&f.listen, "listen", "", "listen address, overrides the config (default :9095)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then in-cluster)")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagFilename("kubeconfig")
	return withEnv(cmd, configEnv, serveKubeEnv)
}

func runServe(ctx context.Context, f serveFlags, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(f.configPath, os.Getenv)
	if err != nil {
		printConfigError(stderr, "alertprof", err)
		return 2
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if f.kubeconfig != "" {
		cfg.Capture.Kubernetes.Kubeconfig = f.kubeconfig
	}
	log := newLogger(stderr, cfg.Log)
	rc, err := newReceiver(cfg, log, stdout, nil)
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Listen, "error", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rc.serve(ctx, ln); err != nil {
		log.Error("stopped with errors", "error", err)
		return 1
	}
	log.Info("stopped cleanly")
	return 0
}

// printConfigError prints a configuration error, one line per problem.
func printConfigError(w io.Writer, prefix string, err error) {
	if ce, ok := errors.AsType[*configErrors](err); ok {
		for _, l := range ce.Lines() {
			fmt.Fprintf(w, "%s: %s\n", prefix, l)
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", prefix, err)
}
