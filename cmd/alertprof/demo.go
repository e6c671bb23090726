package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
	"github.com/spf13/cobra"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report"
)

// newDemoCommand runs the whole pipeline on this machine, loopback only:
// a real Go service with a memory leak, the receiver, an
// Alertmanager-format alert, the capture, the artifacts and the report.
func newDemoCommand() *cobra.Command {
	var (
		dir        string
		cpuSeconds int
		warmup     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Run the whole pipeline locally against a leaking demo service",
		Long: `Run the whole pipeline on this machine, loopback only: a real Go service
with a memory leak, the receiver, an Alertmanager-format alert, the
capture, the artifacts and the report. Nothing outside this machine is
reached, whatever the environment says (no Slack, no S3, no cluster).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := demo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dir, cpuSeconds, warmup); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "alertprof demo:", err)
				return exitCode(1)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dir, "dir", "", "artifact directory (default: a new temporary directory)")
	fs.IntVar(&cpuSeconds, "cpu-seconds", 5, "CPU profile window, and the time between the two heap snapshots")
	fs.DurationVar(&warmup, "warmup", 3*time.Second, "how long the target misbehaves before the alert fires")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func demo(ctx context.Context, stdout, stderr io.Writer, dir string, cpuSeconds int, warmup time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if dir == "" {
		d, err := os.MkdirTemp("", "alertprof-demo-")
		if err != nil {
			return err
		}
		dir = d
	}

	step(stdout, "starting the demo target: a Go service with an unbounded cache and a goroutine leak")
	target, stopTarget, err := startDemoTarget(ctx, stderr)
	if err != nil {
		return err
	}
	defer stopTarget()
	step(stdout, "target serves net/http/pprof on %s; letting it misbehave for %s", target, warmup)

	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Local.Dir = dir
	cfg.Capture.Mode = "static" // loopback only, even with KUBECONFIG set
	cfg.Capture.CPUSeconds = cpuSeconds
	// A memory alert: two heap snapshots a short window apart show what
	// grows; the CPU profile records during the same window.
	cfg.Capture.HeapGrowthWindow = time.Duration(cpuSeconds) * time.Second
	cfg.Capture.Plans = map[string][]string{capture.KindMemory: {"heap", "heap-2", "allocs", "goroutines", "memstats", "cpu"}}
	cfg.Log.Level = "warn"
	cfg.WebhookToken = randomToken()
	if err := cfg.Validate(); err != nil {
		return err
	}
	events := make(chan report.Event, 8)
	notifier := &demoNotifier{console: report.NewConsole(stdout, newLogger(io.Discard, cfg.Log)), events: events}
	rc, err := newReceiver(cfg, newLogger(stderr, cfg.Log), stdout, notifier)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	rctx, stopReceiver := context.WithCancel(ctx)
	defer stopReceiver()
	served := make(chan error, 1)
	go func() { served <- rc.serve(rctx, ln) }()
	receiverURL := "http://" + ln.Addr().String() + "/api/v1/alerts"
	step(stdout, "receiver listening on %s", ln.Addr())

	select {
	case <-time.After(warmup):
	case <-ctx.Done():
		return ctx.Err()
	}

	alert := demoAlert(target)
	step(stdout, "firing memory alert %s for instance %s (capture takes about %ds: heap twice %ds apart, allocs, goroutines, memstats, cpu)",
		alert.Labels["alertname"], target, cpuSeconds, cpuSeconds)
	if err := postAlert(ctx, receiverURL, cfg.WebhookToken, "firing", alert); err != nil {
		return err
	}
	captured, err := waitEvent(ctx, events, report.Captured)
	if err != nil {
		return err
	}
	step(stdout, "resolving the alert")
	alert.Status = "resolved"
	alert.EndsAt = time.Now()
	if err := postAlert(ctx, receiverURL, cfg.WebhookToken, "resolved", alert); err != nil {
		return err
	}
	if _, err := waitEvent(ctx, events, report.Resolved); err != nil {
		return err
	}
	stopReceiver()
	if err := <-served; err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\nArtifacts in %s:\n", dir)
	if err := listArtifacts(stdout, dir); err != nil {
		return err
	}
	if pod := captured.Pod; pod != nil {
		for _, p := range pod.Profiles {
			if p.Error != "" {
				return fmt.Errorf("the %s profile failed: %s", p.Name, p.Error)
			}
		}
		for _, p := range pod.Profiles {
			if p.Name == "heap" {
				fmt.Fprintf(stdout, "\nOpen the heap profile yourself:\n  go tool pprof -top %s\n", p.Link)
			}
		}
	}
	return nil
}

func step(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "==> "+format+"\n", args...)
}

// startDemoTarget runs this binary's demo-target command and returns the
// address it serves on. Its standard input is a pipe kept open until stop,
// so it exits even if this process dies without cleaning up.
func startDemoTarget(ctx context.Context, stderr io.Writer) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, demoTargetCommand, "--listen", "127.0.0.1:0")
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start demo target: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		addr, found := strings.CutPrefix(line, "listening ")
		if !ok || !found {
			stop()
			return "", nil, errors.New("the demo target did not start")
		}
		return addr, stop, nil
	case <-time.After(15 * time.Second):
		stop()
		return "", nil, errors.New("the demo target did not start within 15s")
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
}

func demoAlert(instance string) template.Alert {
	return template.Alert{
		Status: "firing",
		Labels: template.KV{
			"alertname":      "GoServiceMemoryGrowing",
			"severity":       "warning",
			"instance":       instance,
			"job":            "demo-target",
			"alertprof_kind": "memory",
		},
		Annotations: template.KV{
			"summary": "Heap of the demo target grows without bound",
		},
		StartsAt:     time.Now().Add(-2 * time.Minute),
		GeneratorURL: "http://prometheus.invalid/graph?g0.expr=go_memstats_heap_inuse_bytes",
		Fingerprint:  "d3m0d3m0d3m0d3m0",
	}
}

// postAlert sends one notification exactly as Alertmanager's webhook
// notifier would: version 4 JSON with a bearer token.
func postAlert(ctx context.Context, url, token, status string, a template.Alert) error {
	msg := webhook.Message{
		Data: &template.Data{
			Receiver:          "alertprof",
			Status:            status,
			Alerts:            template.Alerts{a},
			GroupLabels:       template.KV{"alertname": a.Labels["alertname"]},
			CommonLabels:      a.Labels,
			CommonAnnotations: a.Annotations,
			ExternalURL:       "http://alertmanager.invalid",
		},
		Version:  "4",
		GroupKey: `{}:{alertname="` + a.Labels["alertname"] + `"}`,
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post alert: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("post alert: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// demoNotifier prints like the console and tells the demo what happened.
type demoNotifier struct {
	console *report.Console
	events  chan<- report.Event
}

func (d *demoNotifier) Notify(ctx context.Context, ev report.Event) (report.Thread, error) {
	th, _, err := d.Reply(ctx, ev)
	return th, err
}

// Reply prints a pod's early report and then its final one, as the
// console does.
func (d *demoNotifier) Reply(ctx context.Context, ev report.Event) (report.Thread, string, error) {
	th, reply, err := d.console.Reply(ctx, ev)
	select {
	case d.events <- ev:
	default:
	}
	return th, reply, err
}

func waitEvent(ctx context.Context, events <-chan report.Event, kind report.EventKind) (report.Event, error) {
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return ev, nil
			}
		case <-ctx.Done():
			return report.Event{}, fmt.Errorf("waiting for the %s event: %w", kind, ctx.Err())
		}
	}
}

func listArtifacts(w io.Writer, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %8d  %s\n", info.Size(), path)
		return nil
	})
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
