//go:build integration

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDuringCapture sends SIGTERM to `alertprof serve` while it is
// taking a CPU profile from a real pprof endpoint (this test process).
// With time to spare the job drains: the capture completes and is recorded
// before the process exits 0. With a short shutdown_timeout the job is cut:
// the process logs it, exits 1, and the incident record says the CPU
// profile was canceled.
func TestSIGTERMDuringCapture(t *testing.T) {
	const token = "e2e-shutdown-token"
	cpuAsked := make(chan struct{}, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		select {
		case cpuAsked <- struct{}{}:
		default:
		}
		pprof.Profile(w, r)
	})
	target := httptest.NewServer(mux)
	t.Cleanup(target.Close)
	targetAddr := target.Listener.Addr().String()

	run := func(t *testing.T, cpuSeconds int, shutdownTimeout string) (*proc, string, error) {
		serve := startServer(t, t.TempDir(), serveConfig{token: token, yaml: fmt.Sprintf(`shutdown_timeout: %s
capture:
  cpu_seconds: %d
log:
  level: debug
`, shutdownTimeout, cpuSeconds)})
		apAddr := serve.addr

		body := fmt.Sprintf(`{"version":"4","groupKey":"shutdown-%d","status":"firing","receiver":"alertprof",
"commonLabels":{"alertname":"SlowRequests"},
"alerts":[{"status":"firing","labels":{"alertname":"SlowRequests","instance":%q,"alertprof_kind":"default"},
"startsAt":%q,"fingerprint":"f1"}]}`, cpuSeconds, targetAddr, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
		sendWebhook(t, apAddr, token, body, "webhook")
		select {
		case <-cpuAsked: // the capture is running: the CPU profile is being taken
		case <-time.After(60 * time.Second):
			t.Fatalf("the target was never asked for a CPU profile:\n%s", serve.output())
		}
		if err := serve.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		return serve.proc, serve.store, serve.wait(60 * time.Second)
	}

	t.Run("drains", func(t *testing.T) {
		serve, store, err := run(t, 2, "60s")
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, serve.output())
		}
		if !strings.Contains(serve.output(), "stopped cleanly") {
			t.Fatalf("no clean stop logged:\n%s", serve.output())
		}
		cpu := cpuReport(t, store)
		if cpu.Error != "" || cpu.Key == "" {
			t.Fatalf("the drained capture's CPU profile: error %q, key %q; want it captured and stored\n%s", cpu.Error, cpu.Key, serve.output())
		}
		if _, err := os.Stat(filepath.Join(store, filepath.FromSlash(cpu.Key))); err != nil {
			t.Fatalf("the drained CPU profile is not in the store: %v", err)
		}
	})

	t.Run("cut short", func(t *testing.T) {
		serve, store, err := run(t, 30, "1s")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("serve after SIGTERM past its shutdown_timeout: %v, want exit status 1\n%s", err, serve.output())
		}
		if !strings.Contains(serve.output(), "job cut short by shutdown") {
			t.Fatalf("the cut job is not logged:\n%s", serve.output())
		}
		if cpu := cpuReport(t, store); !strings.Contains(cpu.Error, "canceled") {
			t.Fatalf("the cut CPU profile's error is %q; want the record to say it was canceled", cpu.Error)
		}
	})
}

// cpuReport returns the cpu profile's entry in the one incident record in
// store.
func cpuReport(t *testing.T, store string) (out struct{ Name, Key, Error string }) {
	t.Helper()
	path := findFile(store, "incident.json")
	if path == "" {
		t.Fatal("no incident.json in the store")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Pods []struct {
			Profiles []struct{ Name, Key, Error string } `json:"profiles"`
		} `json:"pods"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	for _, p := range rec.Pods {
		for _, pr := range p.Profiles {
			if pr.Name == "cpu" {
				return pr
			}
		}
	}
	t.Fatalf("incident.json lists no cpu profile:\n%s", b)
	return out
}
