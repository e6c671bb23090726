package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// captureArgs are the flags of `alertprof capture`.
type captureArgs struct {
	req        handler.CaptureRequest
	configPath string
	kube       *genericclioptions.ConfigFlags
	out        string
	format     string
	profiles   string
	server     string
}

func newCaptureCommand() *cobra.Command {
	ca := captureArgs{kube: newKubeFlags()}
	cmd := &cobra.Command{
		Use:   "capture [flags] (POD | NS/POD | -l SELECTOR | --address HOST:PORT)",
		Short: "Capture a pod now and print its report",
		Long: `Capture a pod now, as an alert would, and print its report.

The pod is found through the Kubernetes API the way kubectl finds it:
--kubeconfig, else $KUBECONFIG, else ~/.kube/config (in a cluster without
a kubeconfig, its service account), with --context, --cluster, --user and
-n over them. Without -n the context's namespace is used.

With --address a static target is captured and no cluster is asked; with
--server a running alertprof captures (its store keeps the artifacts).`,
		Example: `  alertprof capture -n shop checkout-1
  alertprof capture shop/checkout-1 --context prod --kind memory
  alertprof capture -n shop -l app=checkout --profiles heap,goroutine
  alertprof capture --address 127.0.0.1:6060 --out ./evidence
  alertprof capture --server https://alertprof.example -n shop checkout-1 --notify --reason "p99 up"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ca.finish(args); err != nil {
				return usageError(cmd, "%v", err)
			}
			return exit(runCapture(cmd.Context(), ca, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	ca.addFlags(cmd.Flags())
	addKubeFlags(cmd, ca.kube)
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("text", "json"))
	_ = cmd.RegisterFlagCompletionFunc("kind", fixedCompletion(capture.Kinds...))
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagDirname("out")
	return withEnv(cmd, cliKubeEnv, remoteEnv, configEnv)
}

// addFlags adds capture's own flags to fs (the kubectl ones are
// addKubeFlags').
func (ca *captureArgs) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&ca.req.Selector, "selector", "l", "", "label selector: capture the pods it matches (in -n, else the context's namespace)")
	fs.StringVar(&ca.req.Address, "address", "", "static target host:port, inside capture.static.allowed_cidrs")
	fs.StringVar(&ca.profiles, "profiles", "", "comma-separated profiles (default: the plan of --kind)")
	fs.StringVar(&ca.req.Kind, "kind", "", "take the plan of this alert kind: memory, latency, restart, default")
	fs.IntVar(&ca.req.CPUSeconds, "cpu-seconds", 0, "CPU profile window (default: capture.cpu_seconds)")
	fs.BoolVar(&ca.req.Notify, "notify", false, "also post the report to Slack (needs slack in the config)")
	fs.StringVar(&ca.req.Reason, "reason", "", "why, shown in the Slack thread")
	fs.StringVar(&ca.configPath, "config", "", "YAML configuration file (defaults apply without one)")
	fs.StringVar(&ca.out, "out", "", "artifact directory (default: store.local.dir of the config)")
	fs.StringVar(&ca.format, "format", "text", "output: text (the console report) or json (the API's answer)")
	fs.StringVar(&ca.server, "server", "", "ask a running alertprof at this URL instead (token from ALERTPROF_CAPTURE_TOKEN, else ALERTPROF_WEBHOOK_TOKEN)")
}

// parseCaptureArgs reads `alertprof capture` flags and its one optional
// positional argument, POD or NS/POD, which may come before or after the
// flags.
func parseCaptureArgs(args []string, stderr io.Writer) (captureArgs, error) {
	ca := captureArgs{kube: newKubeFlags()}
	fs := pflag.NewFlagSet("capture", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	ca.addFlags(fs)
	ca.kube.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return ca, err
	}
	return ca, ca.finish(fs.Args())
}

// finish checks the positional arguments and the flags together and
// completes the request.
func (ca *captureArgs) finish(pos []string) error {
	if ca.kube.Namespace != nil {
		ca.req.Namespace = *ca.kube.Namespace
	}
	switch len(pos) {
	case 0:
	case 1:
		ca.req.Pod = pos[0]
		if ns, pod, ok := strings.Cut(pos[0], "/"); ok {
			if ca.req.Namespace != "" && ca.req.Namespace != ns {
				return fmt.Errorf("%s names namespace %s but -n says %s", pos[0], ns, ca.req.Namespace)
			}
			ca.req.Namespace, ca.req.Pod = ns, pod
		}
	default:
		return fmt.Errorf("one pod at a time (got %s); use -l to capture several", strings.Join(pos, " "))
	}
	if ca.profiles != "" {
		for p := range strings.SplitSeq(ca.profiles, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ca.req.Profiles = append(ca.req.Profiles, p)
			}
		}
	}
	if ca.format != "text" && ca.format != "json" {
		return fmt.Errorf("--format must be text or json, not %q", ca.format)
	}
	return nil
}

func runCapture(ctx context.Context, ca captureArgs, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	how := captureLocally
	if ca.server != "" {
		how = captureRemotely
	}
	st, err := how(ctx, ca, stderr)
	if err != nil {
		printConfigError(stderr, "alertprof capture", err)
		return 1
	}
	if err := printCapture(stdout, ca.format, st); err != nil {
		fmt.Fprintln(stderr, "alertprof capture:", err)
		return 1
	}
	for _, pr := range st.Pods {
		if pr.Problem != "" || len(pr.Profiles) == 0 {
			return 1
		}
		for _, p := range pr.Profiles {
			if p.Error != "" {
				return 1
			}
		}
	}
	return 0
}

// captureLocally wires the pipeline in this process, as serve does, and
// runs one capture on demand through it.
func captureLocally(ctx context.Context, ca captureArgs, stderr io.Writer) (handler.CaptureStatus, error) {
	cfg, err := loadConfig(ca.configPath, os.Getenv)
	if err != nil {
		return handler.CaptureStatus{}, err
	}
	if ca.out != "" {
		cfg.Store.Local.Dir = ca.out
	}
	// Nothing is served, so links to a local store are file paths.
	cfg.PublicURL = ""
	if ca.req.Address != "" {
		// An address is a static target: no cluster is asked.
		cfg.Capture.Mode = "static"
	} else if err := useCLIKube(&cfg, &ca); err != nil {
		return handler.CaptureStatus{}, err
	}
	if ca.configPath == "" {
		cfg.Log.Level = "warn"
	}
	if cfg.WebhookToken == "" {
		// Nothing is served: no caller can reach the webhook; this only
		// keeps the receiver from warning that it is open.
		cfg.WebhookToken = randomToken()
	}
	if ca.req.Notify && !cfg.Slack.enabled() {
		return handler.CaptureStatus{}, errors.New("--notify posts to Slack, and the configuration has no slack section")
	}
	log := newLogger(stderr, cfg.Log)
	// Without --notify the report is only printed: the notifier hears
	// nothing (the request does not ask it to), and the console is its
	// stand-in.
	var notifier handler.Notifier = report.NewConsole(io.Discard, slog.New(slog.DiscardHandler))
	if ca.req.Notify {
		notifier = nil // newReceiver builds the Slack notifier
	}
	rc, err := newReceiver(cfg, log, io.Discard, notifier)
	if err != nil {
		return handler.CaptureStatus{}, err
	}
	c, err := rc.handler.StartCapture(ctx, ca.req)
	if err != nil {
		return handler.CaptureStatus{}, err
	}
	st, err := followCapture(ctx, stderr, func(context.Context) (handler.CaptureStatus, error) { return c.Status(), nil }, c.Done())
	wait := cfg.ShutdownTimeout
	if ctx.Err() != nil {
		wait = 0 // interrupted: cancel the capture at once
	}
	sctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return st, errors.Join(err, rc.handler.Shutdown(sctx))
}

// printCapture writes the capture as the console notifier writes an
// incident (text), or as the API answers it (json).
func printCapture(w io.Writer, format string, st handler.CaptureStatus) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	for _, pr := range st.Pods {
		if err := report.WritePod(w, pr); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\ncapture %s done: %d target(s)\n", st.ID, len(st.Pods))
	return nil
}

// useCLIKube points cfg at the cluster the kubectl flags choose (the
// configuration's capture.kubernetes.kubeconfig stands for --kubeconfig
// when that is not given) and fills the request's namespace with the
// context's when -n is not given. A pod or a selector needs the API: in
// auto mode, no kubeconfig is an error here, not static mode.
func useCLIKube(cfg *Config, ca *captureArgs) error {
	if cfg.Capture.Mode == "static" {
		return nil
	}
	if *ca.kube.KubeConfig == "" {
		*ca.kube.KubeConfig = cfg.Capture.Kubernetes.Kubeconfig
	}
	k, err := loadCLIKube(ca.kube)
	if errors.Is(err, kube.ErrNoConfig) && ca.req.Pod == "" && ca.req.Selector == "" && cfg.Capture.Mode == "auto" {
		return nil // nothing to resolve: the handler answers the request
	}
	if err != nil {
		return fmt.Errorf("capture a pod: %w", err)
	}
	cfg.cliKube = &k
	cfg.Capture.Mode = "kubernetes"
	if ca.req.Namespace == "" {
		ca.req.Namespace = k.namespace
	}
	return nil
}
