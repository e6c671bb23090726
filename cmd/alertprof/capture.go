package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alertprof/alertprof/handler"
	"github.com/alertprof/alertprof/report"
)

// captureArgs are the flags of `alertprof capture`.
type captureArgs struct {
	req        handler.CaptureRequest
	configPath string
	kubeconfig string
	out        string
	format     string
	profiles   string
	server     string
}

// parseCaptureArgs reads `alertprof capture` flags and its one optional
// positional argument, POD or NS/POD, which may come before or after the
// flags.
func parseCaptureArgs(args []string, stderr io.Writer) (captureArgs, error) {
	var ca captureArgs
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&ca.req.Namespace, "n", "", "namespace of the pod or the selector")
	fs.StringVar(&ca.req.Selector, "l", "", "label selector (with -n): capture the pods it matches")
	fs.StringVar(&ca.req.Address, "address", "", "static target host:port, inside capture.static.allowed_cidrs")
	fs.StringVar(&ca.profiles, "profiles", "", "comma-separated profiles (default: the plan of --kind)")
	fs.StringVar(&ca.req.Kind, "kind", "", "take the plan of this alert kind: memory, latency, restart, default")
	fs.IntVar(&ca.req.CPUSeconds, "cpu-seconds", 0, "CPU profile window (default: capture.cpu_seconds)")
	fs.BoolVar(&ca.req.Notify, "notify", false, "also post the report to Slack (needs slack in the config)")
	fs.StringVar(&ca.req.Reason, "reason", "", "why, shown in the Slack thread")
	fs.StringVar(&ca.configPath, "config", "", "YAML configuration file (defaults apply without one)")
	fs.StringVar(&ca.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then in-cluster)")
	fs.StringVar(&ca.out, "out", "", "artifact directory (default: store.local.dir of the config)")
	fs.StringVar(&ca.format, "format", "text", "output: text (the console report) or json (the API's answer)")
	fs.StringVar(&ca.server, "server", "", "ask a running alertprof at this URL instead (token from ALERTPROF_CAPTURE_TOKEN, else ALERTPROF_WEBHOOK_TOKEN)")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return ca, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(pos) {
	case 0:
	case 1:
		ca.req.Pod = pos[0]
		if ns, pod, ok := strings.Cut(pos[0], "/"); ok {
			if ca.req.Namespace != "" && ca.req.Namespace != ns {
				return ca, fmt.Errorf("%s names namespace %s but -n says %s", pos[0], ns, ca.req.Namespace)
			}
			ca.req.Namespace, ca.req.Pod = ns, pod
		}
	default:
		return ca, fmt.Errorf("one pod at a time (got %s); use -l to capture several", strings.Join(pos, " "))
	}
	if ca.profiles != "" {
		for p := range strings.SplitSeq(ca.profiles, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ca.req.Profiles = append(ca.req.Profiles, p)
			}
		}
	}
	if ca.format != "text" && ca.format != "json" {
		return ca, fmt.Errorf("--format must be text or json, not %q", ca.format)
	}
	return ca, nil
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ca, err := parseCaptureArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "alertprof capture:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	how := captureLocally
	if ca.server != "" {
		how = captureRemotely
	}
	st, err := how(ctx, ca, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "alertprof capture:", err)
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
	if ca.kubeconfig != "" {
		cfg.Capture.Kubernetes.Kubeconfig = ca.kubeconfig
	}
	if ca.out != "" {
		cfg.Store.Local.Dir = ca.out
	}
	// Nothing is served, so links to a local store are file paths.
	cfg.PublicURL = ""
	if ca.req.Address != "" {
		// An address is a static target: no cluster is asked.
		cfg.Capture.Mode = "static"
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
