//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/alertprof/alertprof/capture/store/s3"
	"github.com/alertprof/alertprof/handler"
)

// TestPendingRecordLandsWithoutPending runs the real receiver against a
// real MinIO that goes down: a capture made meanwhile is kept in the
// spool, which is not counted as a failure, and once MinIO is back the
// incident.json in the bucket no longer says "pending".
func TestPendingRecordLandsWithoutPending(t *testing.T) {
	bin := os.Getenv("ALERTPROF_MINIO")
	if bin == "" {
		t.Fatal("ALERTPROF_MINIO is not set: run the README test command, which builds MinIO and exports it")
	}
	const user, password, bucket = "alertprof-test", "alertprof-secret-0123456789", "alertprof-pending"
	work := t.TempDir()
	minioAddr, consoleAddr, data := freeAddr(t), freeAddr(t), filepath.Join(work, "minio")
	startMinio := func() *proc {
		m := startProc(t, "minio", bin, "server", "--quiet", "--address", minioAddr, "--console-address", consoleAddr, data)
		m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+password, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
		m.start(t)
		waitHTTP(t, "http://"+minioAddr+"/minio/health/live")
		return m
	}
	m := startMinio()

	target := launchDemoTarget(t, "demo-target")
	addr := freeAddr(t)
	config := filepath.Join(work, "alertprof.yaml")
	writeFile(t, config, fmt.Sprintf(`listen: %s
capture:
  mode: static
  profiles: [heap, goroutine]
store:
  s3:
    endpoint: %s
    bucket: %s
    tls: false
    create_bucket: true
  spool:
    dir: %s
`, addr, minioAddr, bucket, filepath.Join(work, "spool")))
	s := startProc(t, "alertprof", binary, "serve", "--config", config)
	s.cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+user, "AWS_SECRET_ACCESS_KEY="+password)
	s.start(t)
	waitHTTP(t, "http://"+addr+"/readyz")

	// MinIO goes away; a capture is made.
	_ = m.cmd.Process.Kill()
	_ = m.wait(10 * time.Second)
	api := "http://" + addr + "/api/v1/captures"
	st := postCaptureRequest(t, api, "", fmt.Sprintf(`{"address":%q}`, target))
	waitUntil(t, 2*time.Minute, "the capture is done", func() bool {
		st = getCaptureStatus(t, api+"/"+st.ID, "")
		return st.State == handler.StateDone
	})
	if len(st.Pods) != 1 || len(st.Pods[0].Profiles) == 0 || !st.Pods[0].Profiles[0].Pending {
		t.Fatalf("the capture does not say its upload is pending: %+v", st.Pods)
	}
	key := st.Pods[0].Profiles[0].Key
	recKey := key[:strings.Index(key, "/"+st.Incident+"/")+len(st.Incident)+1] + "/incident.json"
	if _, body := getStatus(t, "http://"+addr+"/metrics"); !strings.Contains(body, `alertprof_failures_total{stage="record"} 0`) {
		t.Fatalf("a write kept in the spool counted as a record failure:\n%s", grepLines(body, "alertprof_failures_total"))
	}
	if code, _ := getStatus(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d while the store is only down", code)
	}

	// MinIO comes back; the spool drains and incident.json is rewritten.
	startMinio()
	remote, err := s3.New(s3.Config{Endpoint: minioAddr, Bucket: bucket, Creds: credentials.NewStaticV4(user, password, "")})
	if err != nil {
		t.Fatal(err)
	}
	var rec string
	waitUntil(t, 2*time.Minute, "incident.json lands without pending", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		rc, err := remote.Get(ctx, recKey)
		if err != nil {
			return false
		}
		defer rc.Close()
		b, _ := io.ReadAll(io.LimitReader(rc, 16<<20))
		rec = string(b)
		return strings.Contains(rec, `"key"`) && !strings.Contains(rec, `"pending"`)
	})
	if out := s.output(); strings.Contains(out, "level=ERROR msg=\"writing the incident record") || strings.Contains(out, "saving the incident state failed") {
		t.Fatalf("a spooled record write was logged as an error:\n%s", out)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
