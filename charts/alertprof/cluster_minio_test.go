//go:build integration

package chart_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

const (
	minioUser     = "alertprof-chart"
	minioPassword = "alertprof-chart-secret-0123"
)

// startMinio runs a real MinIO server (ALERTPROF_MINIO) on a free local
// port until the test ends, and returns its host:port.
func startMinio(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("ALERTPROF_MINIO")
	if bin == "" {
		t.Fatal(`ALERTPROF_MINIO must name the minio binary; run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", "127.0.0.1:"+strconv.Itoa(freePort(t)), t.TempDir())
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio not live within a minute: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
