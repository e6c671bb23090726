//go:build integration

package main

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// launchDemoTarget runs `alertprof demo-target` on a free port and returns
// the address it prints; the target stops when the test ends.
func launchDemoTarget(t *testing.T, name string) string {
	t.Helper()
	p := startProc(t, name, binary, "demo-target", "--listen", "127.0.0.1:0")
	p.start(t)
	return strings.TrimPrefix(p.waitLine(t, "listening "), "listening ")
}

// serveConfig is what differs between the tests that run `alertprof serve`.
type serveConfig struct {
	host  string   // address to listen on; "" means 127.0.0.1
	token string   // ALERTPROF_WEBHOOK_TOKEN
	yaml  string   // configuration after listen, public_url and store
	env   []string // more environment variables, as KEY=value
}

// alertprofServer is a running `alertprof serve` whose output the test keeps.
type alertprofServer struct {
	*proc
	addr   string // host:port it listens on, also its public URL's host
	store  string // directory of its local artifact store
	config string // path of its alertprof.yaml
}

// startServer writes alertprof.yaml in work, with a free listen address,
// a public URL on that address, a local store in work/artifacts and then
// c.yaml, runs `alertprof serve` with it and waits until it is ready.
// The server stops when the test ends.
func startServer(t *testing.T, work string, c serveConfig) *alertprofServer {
	t.Helper()
	s := &alertprofServer{
		addr:   freeAddrOn(t, cmp.Or(c.host, "127.0.0.1")),
		store:  filepath.Join(work, "artifacts"),
		config: filepath.Join(work, "alertprof.yaml"),
	}
	writeFile(t, s.config, fmt.Sprintf(`listen: %s
public_url: http://%s
store:
  local:
    dir: %s
`, s.addr, s.addr, s.store)+c.yaml)
	s.proc = startProc(t, "alertprof", binary, "serve", "--config", s.config)
	s.cmd.Env = append(append(os.Environ(), "ALERTPROF_WEBHOOK_TOKEN="+c.token), c.env...)
	s.start(t)
	waitHTTP(t, "http://"+s.addr+"/readyz")
	return s
}

// sendWebhook posts a notification body to alertprof serve at addr with
// the bearer token and fails the test unless it answers 202 Accepted.
func sendWebhook(t *testing.T, addr, token, body, what string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/alerts", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("%s answered %d", what, resp.StatusCode)
	}
}
