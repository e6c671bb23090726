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
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (defaults apply without one)")
	listen := fs.String("listen", "", "listen address, overrides the config (default :9095)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then in-cluster)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*configPath, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "alertprof:", err)
		return 2
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *kubeconfig != "" {
		cfg.Capture.Kubernetes.Kubeconfig = *kubeconfig
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
