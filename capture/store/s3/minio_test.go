//go:build integration

package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store/s3"
)

const (
	minioUser     = "alertprof-test"
	minioPassword = "alertprof-secret-0123456789"
)

// minioServer is a real MinIO server on 127.0.0.1, stoppable and
// restartable on the same port and data directory.
type minioServer struct {
	bin, dir, addr, console string
	logs                    *bytes.Buffer
	cmd                     *exec.Cmd
	mu                      sync.Mutex
}

func startMinio(t *testing.T) *minioServer {
	t.Helper()
	bin := os.Getenv("ALERTPROF_MINIO")
	if bin == "" {
		t.Fatal("ALERTPROF_MINIO is not set: run the README test command, which builds MinIO via .ci/tools.sh (.ci/tools.d/minio.sh) and exports it")
	}
	m := &minioServer{bin: bin, dir: t.TempDir(), addr: freeAddr(t), console: freeAddr(t), logs: &bytes.Buffer{}}
	m.start(t)
	t.Cleanup(m.stop)
	return m
}

func (m *minioServer) start(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	m.cmd = exec.Command(m.bin, "server", "--quiet", "--address", m.addr, "--console-address", m.console, m.dir)
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	err := m.cmd.Start()
	m.mu.Unlock()
	if err != nil {
		t.Fatalf("start minio: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + m.addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio not live within 60s: %v\n%s", err, m.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop kills the server as a crash would.
func (m *minioServer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newS3(t *testing.T, m *minioServer, mod func(*s3.Config)) *s3.Store {
	t.Helper()
	cfg := s3.Config{
		Endpoint: m.addr,
		Bucket:   "alertprof",
		Prefix:   "test/",
		Creds:    credentials.NewStaticV4(minioUser, minioPassword, ""),
		Retry:    s3.RetryPolicy{MaxTries: 3, MaxElapsed: 3 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.EnsureBucket(ctx, true); err != nil {
		t.Fatalf("EnsureBucket: %v\n%s", err, m.logs)
	}
	return s
}

func httpGet(t *testing.T, link string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatalf("GET presigned link: %v", capture.RedactURL(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// heapProfile is a real heap profile of this test process.
func heapProfile(t *testing.T) []byte {
	t.Helper()
	srv := servePprof(t)
	code, b, _ := httpGet(t, srv+"/debug/pprof/heap")
	if code != http.StatusOK {
		t.Fatalf("heap profile: %d", code)
	}
	return b
}

func TestS3UploadLinkAndRoundTrip(t *testing.T) {
	m := startMinio(t)
	s := newS3(t, m, nil)
	ctx := context.Background()
	data := heapProfile(t)
	meta := capture.Meta{Incident: "20260101T000000Z-abc", Namespace: "static", Pod: "127.0.0.1-6060", Profile: "heap", AlertName: "HeapGrowing"}
	const key = "incidents/2026/01/01/20260101T000000Z-abc/static/127.0.0.1-6060/heap.pb.gz"
	if err := s.Put(ctx, key, data, meta); err != nil {
		t.Fatal(err)
	}

	t.Run("presigned link returns identical bytes", func(t *testing.T) {
		link := s.Link(key)
		if !strings.Contains(link, "X-Amz-Signature=") || !strings.Contains(link, "X-Amz-Expires=604800") {
			t.Fatalf("link %s is not presigned for 7 days", capture.RedactURL(link))
		}
		code, got, hdr := httpGet(t, link)
		if code != http.StatusOK || !bytes.Equal(got, data) {
			t.Fatalf("GET link: %d, %d bytes; want 200 and the %d bytes put", code, len(got), len(data))
		}
		for k, v := range map[string]string{"Incident": meta.Incident, "Namespace": meta.Namespace, "Pod": meta.Pod, "Profile": "heap", "Alertname": "HeapGrowing"} {
			if h := hdr.Get("X-Amz-Meta-" + k); h != v {
				t.Errorf("metadata %s = %q, want %q", k, h, v)
			}
		}
	})

	t.Run("go tool pprof opens the link", func(t *testing.T) {
		out, err := exec.Command("go", "tool", "pprof", "-top", "-symbolize=none", s.Link(key)).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool pprof: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "flat%") {
			t.Fatalf("go tool pprof printed no table:\n%s", out)
		}
	})

	t.Run("manifest round-trips through Get", func(t *testing.T) {
		manifest := []byte(`{"incident":{"id":"20260101T000000Z-abc","status":"firing"},"pods":[]}`)
		mkey := "incidents/2026/01/01/20260101T000000Z-abc/incident.json"
		if err := s.Put(ctx, mkey, manifest, capture.Meta{}); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Get(ctx, mkey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, manifest) {
			t.Fatalf("Get = %q, %v; want %q", got, err, manifest)
		}
		if _, err := s.Get(ctx, "incidents/none/incident.json"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Get of a missing key: %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("expired link is refused", func(t *testing.T) {
		short := newS3(t, m, func(c *s3.Config) { c.LinkExpiry = time.Second })
		link := short.Link(key)
		// Wait past the expiry (S3 compares whole seconds).
		time.Sleep(2100 * time.Millisecond)
		code, body, _ := httpGet(t, link)
		if code != http.StatusForbidden || !bytes.Contains(body, []byte("expired")) {
			t.Fatalf("GET expired link: %d %s; want 403 saying expired", code, body)
		}
	})

	t.Run("public base url", func(t *testing.T) {
		pub := newS3(t, m, func(c *s3.Config) { c.PublicBaseURL = "https://artifacts.example.com/" })
		if got, want := pub.Link(key), "https://artifacts.example.com/test/"+key; got != want {
			t.Fatalf("Link = %q, want %q", got, want)
		}
	})

	t.Run("no secret in errors", func(t *testing.T) {
		bad, err := s3.New(s3.Config{Endpoint: m.addr, Bucket: "alertprof",
			Creds: credentials.NewStaticV4(minioUser, minioPassword+"-wrong", ""), Retry: s3.RetryPolicy{MaxTries: 1}})
		if err != nil {
			t.Fatal(err)
		}
		err = bad.Put(ctx, "x", []byte("x"), capture.Meta{})
		if err == nil {
			t.Fatal("Put with a wrong secret succeeded")
		}
		if strings.Contains(err.Error(), minioPassword) || strings.Contains(err.Error(), "Signature=") {
			t.Fatalf("error leaks a secret: %v", err)
		}
	})
}
