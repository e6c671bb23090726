//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/handler"
)

// TestServeAccessWithoutCredentials: with no credentials configured, the
// real receiver says at start that both endpoints accept loopback clients
// only, and a loopback client may start a capture. (TestNonLoopbackClientIsRefused
// sends from off loopback.)
func TestServeAccessWithoutCredentials(t *testing.T) {
	target := launchDemoTarget(t, "demo-target")
	s := startServer(t, t.TempDir(), serveConfig{yaml: "capture:\n  mode: static\n  profiles: [heap]\n"})
	out := s.output()
	for _, ep := range []string{"/api/v1/alerts", "/api/v1/captures"} {
		if !logHas(out, "endpoint access", "endpoint="+ep, `accepts="loopback clients only`) {
			t.Fatalf("no startup line says %s accepts loopback clients only:\n%s", ep, out)
		}
	}
	st := postCaptureRequest(t, "http://"+s.addr+"/api/v1/captures", "", fmt.Sprintf(`{"address":%q}`, target))
	if st.ID == "" {
		t.Fatalf("no capture started: %+v", st)
	}
}

// TestServeCaptureToken: with ALERTPROF_CAPTURE_TOKEN the capture API
// wants that token, even from loopback; the startup log says so, and the
// token appears in no log line.
func TestServeCaptureToken(t *testing.T) {
	const token = "capture-token-e2e-0123456789"
	target := launchDemoTarget(t, "demo-target")
	s := startServer(t, t.TempDir(), serveConfig{yaml: "capture:\n  mode: static\n  profiles: [heap]\n",
		env: []string{"ALERTPROF_CAPTURE_TOKEN=" + token}})
	api := "http://" + s.addr + "/api/v1/captures"
	body := fmt.Sprintf(`{"address":%q}`, target)
	for name, auth := range map[string]string{"no token": "", "wrong token": "Bearer nope"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, api, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: HTTP %d, want 401", name, resp.StatusCode)
		}
	}
	st := postCaptureRequest(t, api, token, body)
	waitUntil(t, time.Minute, "the capture is done", func() bool {
		return getCaptureStatus(t, api+"/"+st.ID, token).State == handler.StateDone
	})
	out := s.output()
	if !logHas(out, "endpoint access", "endpoint=/api/v1/captures", `accepts="bearer token"`) ||
		!logHas(out, "endpoint access", "endpoint=/api/v1/alerts", `accepts="loopback clients only`) {
		t.Fatalf("the startup log does not say who each endpoint accepts:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Fatal("the capture token appears in the log")
	}
}

// TestSlowClientIsCutOff: a client that sends its headers one byte at a
// time is disconnected after read_header_timeout, long before it is done,
// while a normal client is served; oversized headers get 431.
func TestSlowClientIsCutOff(t *testing.T) {
	s := startServer(t, t.TempDir(), serveConfig{yaml: "webhook:\n  read_header_timeout: 1s\n  read_timeout: 2s\n  max_header_bytes: 8192\n"})
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes the connection
		close(closed)
	}()
	// At one byte per 50ms this request would take over a minute to send.
	request := "GET /healthz HTTP/1.1\r\nHost: alertprof\r\nX-Slow: " + strings.Repeat("a", 1200) + "\r\n\r\n"
	sent := 0
	for ; sent < len(request); sent++ {
		select {
		case <-closed:
		default:
			if _, err := conn.Write([]byte{request[sent]}); err == nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		break
	}
	if sent == len(request) {
		t.Fatal("the server let a client take over a minute to send its headers")
	}
	t.Logf("cut off after %d of %d bytes", sent, len(request))

	// A normal client on the same server is served.
	httpGet(t, "http://"+s.addr+"/healthz")
	// Headers past max_header_bytes are refused.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+s.addr+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("b", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: HTTP %d, want 431", resp.StatusCode)
	}
}

// tlsTarget is a Go process's pprof handlers behind TLS with a certificate
// from a CA made for the test, answering only requests that carry the
// bearer token.
func tlsTarget(t *testing.T, dir, token string) (addr, caFile string) {
	t.Helper()
	certFile, keyFile, _ := selfSigned(t, dir) // a CA certificate that also serves 127.0.0.1
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})}
	go srv.ServeTLS(ln, certFile, keyFile)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), certFile
}

// TestHTTPSTargetWithPrivateCAAndToken captures, through the real
// receiver, from a pprof server behind TLS signed by a private CA that
// wants a bearer token read from a file. With the CA bundle configured the
// capture works and the token is nowhere in the logs, artifacts or
// incident.json; without it the report says the certificate's authority
// is unknown.
func TestHTTPSTargetWithPrivateCAAndToken(t *testing.T) {
	const token = "target-token-e2e-0123456789"
	dir := t.TempDir()
	addr, ca := tlsTarget(t, dir, token)
	tokenFile := filepath.Join(dir, "pprof-token")
	writeFile(t, tokenFile, token+"\n")

	capture := func(t *testing.T, caLine string) (*alertprofServer, handler.CaptureStatus) {
		s := startServer(t, t.TempDir(), serveConfig{yaml: fmt.Sprintf(`capture:
  mode: static
  profiles: [heap, goroutine]
  access:
    - cidrs: [127.0.0.1/32]
      scheme: https
      bearer_token_file: %s
      tls: {%s}
`, tokenFile, caLine)})
		api := "http://" + s.addr + "/api/v1/captures"
		st := postCaptureRequest(t, api, "", fmt.Sprintf(`{"address":%q}`, addr))
		waitUntil(t, time.Minute, "the capture is done", func() bool {
			st = getCaptureStatus(t, api+"/"+st.ID, "")
			return st.State == handler.StateDone
		})
		if len(st.Pods) != 1 || len(st.Pods[0].Profiles) != 2 {
			t.Fatalf("capture: %+v", st)
		}
		return s, st
	}

	t.Run("with the CA", func(t *testing.T) {
		s, st := capture(t, "ca_file: "+ca)
		for _, p := range st.Pods[0].Profiles {
			if p.Error != "" || p.Key == "" {
				t.Fatalf("%s: %q", p.Name, p.Error)
			}
		}
		if strings.Contains(s.output(), token) {
			t.Fatal("the target's token appears in the log")
		}
		var files, records int
		err := filepath.WalkDir(s.store, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			if strings.HasSuffix(path, "incident.json") {
				records++
			}
			if strings.Contains(string(b), token) {
				t.Errorf("the target's token is in %s", path)
			}
			return nil
		})
		if err != nil || records == 0 || files < 3 {
			t.Fatalf("walked %d files, %d records: %v", files, records, err)
		}
	})
	t.Run("without the CA", func(t *testing.T) {
		_, st := capture(t, "")
		for _, p := range st.Pods[0].Profiles {
			if !strings.Contains(p.Error, "TLS: the target's certificate is signed by an unknown authority") {
				t.Fatalf("%s: error %q, want a clear TLS error", p.Name, p.Error)
			}
		}
	})
}

// TestServeMissingBucketIsNotReady runs the real receiver against a real
// MinIO with create_bucket: false and a bucket that does not exist: it is
// live, but /readyz is 503 and names the bucket, and the start is logged.
func TestServeMissingBucketIsNotReady(t *testing.T) {
	bin := os.Getenv("ALERTPROF_MINIO")
	if bin == "" {
		t.Fatal("ALERTPROF_MINIO is not set: run the README test command, which builds MinIO and exports it")
	}
	const user, password = "alertprof-test", "alertprof-secret-0123456789"
	work := t.TempDir()
	minioAddr := freeAddr(t)
	m := startProc(t, "minio", bin, "server", "--quiet", "--address", minioAddr, "--console-address", freeAddr(t), filepath.Join(work, "minio"))
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+password, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	m.start(t)
	waitHTTP(t, "http://"+minioAddr+"/minio/health/live")

	addr := freeAddr(t)
	config := filepath.Join(work, "alertprof.yaml")
	writeFile(t, config, fmt.Sprintf(`listen: %s
store:
  s3:
    endpoint: %s
    bucket: alertprof-missing-bucket
    tls: false
    create_bucket: false
  spool:
    dir: %s
`, addr, minioAddr, filepath.Join(work, "spool")))
	s := startProc(t, "alertprof", binary, "serve", "--config", config)
	s.cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+user, "AWS_SECRET_ACCESS_KEY="+password)
	s.start(t)
	waitHTTP(t, "http://"+addr+"/healthz")

	code, body := getStatus(t, "http://"+addr+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "alertprof-missing-bucket") {
		t.Fatalf("/readyz: HTTP %d %s, want 503 naming the bucket", code, body)
	}
	if out := s.output(); !logHas(out, "level=ERROR", "object store refuses", "alertprof-missing-bucket") {
		t.Fatalf("the start does not log the missing bucket:\n%s", out)
	}
	if strings.Contains(s.output(), password) {
		t.Fatal("the S3 secret appears in the log")
	}
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// logHas reports whether one line of out holds every part.
func logHas(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestNonLoopbackClientIsRefused: with no credentials configured, a
// client that is not on loopback (curl in a network namespace of its
// own) gets 403 from the webhook and from the capture API of the real
// receiver, and starts nothing; with allow_unauthenticated it may.
func TestNonLoopbackClientIsRefused(t *testing.T) {
	ns := newTestNetns(t)
	target := launchDemoTarget(t, "demo-target")
	body := fmt.Sprintf(`{"address":%q}`, target)
	alert := `{"version":"4","groupKey":"g","status":"firing","receiver":"alertprof","alerts":[{"status":"firing","labels":{"alertname":"A","instance":"` + target + `"},"startsAt":"2026-11-30T00:00:00Z"}]}`
	post := func(url, data string) string {
		return ns.curl(t, "-X", "POST", "-H", "Content-Type: application/json", "--data", data, url)
	}

	closed := startServer(t, t.TempDir(), serveConfig{host: ns.hostIP, yaml: "capture:\n  mode: static\n  profiles: [heap]\n"})
	for ep, data := range map[string]string{"/api/v1/captures": body, "/api/v1/alerts": alert} {
		if code := post("http://"+closed.addr+ep, data); code != "403" {
			t.Errorf("%s from %s without credentials: HTTP %s, want 403", ep, ns.peerIP, code)
		}
	}
	if out := closed.output(); strings.Contains(out, "capture on demand accepted") || strings.Contains(out, "webhook accepted") {
		t.Errorf("a refused request started work:\n%s", out)
	}

	open := startServer(t, t.TempDir(), serveConfig{host: ns.hostIP,
		yaml: "webhook:\n  allow_unauthenticated: true\ncapture:\n  mode: static\n  profiles: [heap]\n"})
	// The capture first: while the alert's capture of the same target
	// runs, a capture on demand of it is refused (409).
	for _, r := range [][2]string{{"/api/v1/captures", body}, {"/api/v1/alerts", alert}} {
		if code := post("http://"+open.addr+r[0], r[1]); code != "202" {
			t.Errorf("%s from %s with allow_unauthenticated: HTTP %s, want 202", r[0], ns.peerIP, code)
		}
	}
}
