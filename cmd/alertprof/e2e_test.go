//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// TestAlertmanagerEndToEnd drives the receiver with a real Alertmanager:
// alerts go in through Alertmanager's API, Alertmanager groups them and
// delivers them to `alertprof serve` with a bearer token, and alertprof
// captures from two real Go processes: the demo target, and Alertmanager
// itself through its own /debug/pprof/.
func TestAlertmanagerEndToEnd(t *testing.T) {
	work := t.TempDir()
	const token = "e2e-webhook-token-0123456789"

	targetAddr := launchDemoTarget(t, "demo-target")
	serve := startServer(t, work, serveConfig{token: token, yaml: `capture:
  cpu_seconds: 2
log:
  level: debug
`})
	apAddr, store := serve.addr, serve.store

	amAddr := startAlertmanager(t, work, "[alertname, instance]", "1h", apAddr, token)

	// Let the demo target leak until the leak holds most of its heap, as a
	// real service's would before its memory alert fires.
	waitLeaking(t, targetAddr)
	startsAt := time.Now().Add(-time.Minute)
	fire := func(endsAt time.Time) {
		postAlerts(t, amAddr, []amAlert{
			{Labels: map[string]string{"alertname": "DemoHeapGrowing", "severity": "warning", "instance": targetAddr, "alertprof_kind": "default"}, StartsAt: startsAt, EndsAt: endsAt,
				Annotations: map[string]string{"summary": "the demo target's heap grows"}},
			{Labels: map[string]string{"alertname": "AlertmanagerSlow", "severity": "info", "instance": amAddr, "alertprof_kind": "default"}, StartsAt: startsAt, EndsAt: endsAt},
			{Labels: map[string]string{"alertname": "OutsideAllowList", "severity": "info", "instance": "10.20.30.40:6060"}, StartsAt: startsAt, EndsAt: endsAt},
		})
	}
	fire(time.Time{})

	demoDir := filepath.Join("static", "127.0.0.1-"+portOf(targetAddr))
	amDir := filepath.Join("static", "127.0.0.1-"+portOf(amAddr))
	var demoSummary, amSummary string
	var links map[string]string
	// A pod's summary is stored before its incident record is written, so
	// wait for both, final.
	waitUntil(t, 90*time.Second, "both summaries and their incident records are stored", func() bool {
		demoSummary = findFile(store, filepath.Join(demoDir, "summary.txt"))
		amSummary = findFile(store, filepath.Join(amDir, "summary.txt"))
		if demoSummary == "" || amSummary == "" {
			return false
		}
		// A summary is first written with the instant profiles, then
		// again once the CPU window's profile lands.
		for _, summary := range []string{demoSummary, amSummary} {
			if b, err := os.ReadFile(summary); err != nil || strings.Contains(string(b), "still capturing") {
				return false
			}
		}
		links = profileLinks(t, store)
		for _, summary := range []string{demoSummary, amSummary} {
			for _, name := range []string{"heap.pb.gz", "cpu.pb.gz"} {
				rel, _ := filepath.Rel(store, filepath.Join(filepath.Dir(summary), name))
				if links[filepath.ToSlash(rel)] == "" {
					return false
				}
			}
		}
		return true
	})

	for _, dir := range []string{filepath.Dir(demoSummary), filepath.Dir(amSummary)} {
		for _, name := range []string{"heap", "goroutine", "cpu"} {
			path := filepath.Join(dir, name+".pb.gz")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := profile.ParseData(data); err != nil {
				t.Fatalf("%s does not parse: %v", path, err)
			}
			rel, _ := filepath.Rel(store, path)
			link := links[filepath.ToSlash(rel)]
			if !strings.HasPrefix(link, "http://"+apAddr+"/artifacts/") {
				t.Fatalf("the report's link for %s is %q, want one served by alertprof", rel, link)
			}
			if served := httpGet(t, link); !bytes.Equal(served, data) {
				t.Fatalf("%s does not serve the stored bytes", link)
			}
			if resp, err := http.Get("http://" + apAddr + "/artifacts/" + filepath.ToSlash(rel)); err != nil || resp.StatusCode == http.StatusOK {
				t.Fatalf("an unsigned artifact URL was served (%v)", err)
			} else {
				resp.Body.Close()
			}
		}
	}
	summary, _ := os.ReadFile(demoSummary)
	rows := tableRows(string(summary), "heap inuse_space: total")
	if len(rows) < 3 || !strings.Contains(strings.Join(rows[:3], "\n"), "(*sessionCache).remember") {
		t.Fatalf("the leak is not in the top 3 heap rows of the demo target:\n%s", summary)
	}
	if amFuncs := heapFunctions(t, store, "127.0.0.1-"+portOf(amAddr)); len(amFuncs) == 0 {
		t.Fatal("Alertmanager's report has no heap table")
	}
	// What Alertmanager's heap holds at a given moment varies; its
	// goroutines always run its own code, so the goroutine profile
	// alertprof fetched must name it.
	amGoroutines, err := os.ReadFile(filepath.Join(filepath.Dir(amSummary), "goroutine.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	gp, err := profile.ParseData(amGoroutines)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(gp.Function, func(f *profile.Function) bool {
		return strings.HasPrefix(f.Name, "github.com/prometheus/alertmanager/")
	}) {
		t.Fatal("Alertmanager's goroutine profile names none of its own code")
	}

	// The alert outside the allow-list produced a report line, not a fetch.
	waitUntil(t, 30*time.Second, "the refused alert is reported", func() bool {
		return strings.Contains(serve.output(), "outside the allowed CIDRs")
	})

	// Resolve everything: Alertmanager sends resolved notifications and
	// each incident record says so.
	fire(time.Now().Add(-time.Second))
	waitUntil(t, 60*time.Second, "three incidents resolved", func() bool {
		return countResolvedRecords(t, store) == 3
	})

	// Alertmanager delivered with the token; nothing was refused.
	metrics := string(httpGet(t, "http://"+apAddr+"/metrics"))
	for _, want := range []string{`alertprof_webhook_requests_total{result="unauthorized"} 0`, `alertprof_captures_total{profile="heap",result="ok"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
	if strings.Contains(serve.output(), token) {
		t.Fatal("the webhook token appears in alertprof's output")
	}

	// SIGTERM: a clean drain and exit 0.
	if err := serve.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.wait(30 * time.Second); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, serve.output())
	}
	if !strings.Contains(serve.output(), "stopped cleanly") {
		t.Fatalf("no clean stop logged:\n%s", serve.output())
	}
}

// startAlertmanager runs a real Alertmanager that routes every alert to
// alertprof at apAddr with the bearer token, and returns its address.
func startAlertmanager(t *testing.T, work, groupBy, repeat, apAddr, token string) string {
	t.Helper()
	amBin := os.Getenv("ALERTPROF_ALERTMANAGER")
	if amBin == "" {
		t.Fatal("ALERTPROF_ALERTMANAGER is not set: run the README test command (.ci/test.sh), which installs Alertmanager")
	}
	amAddr := freeAddr(t)
	amCfg := filepath.Join(work, "alertmanager.yml")
	writeFile(t, amCfg, fmt.Sprintf(`route:
  receiver: alertprof
  group_by: %s
  group_wait: 1s
  group_interval: 2s
  repeat_interval: %s
receivers:
  - name: alertprof
    webhook_configs:
      - url: http://%s/api/v1/alerts
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, groupBy, repeat, apAddr, token))
	am := startProc(t, "alertmanager", amBin, "--config.file="+amCfg, "--storage.path="+filepath.Join(work, "am-data"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	am.start(t)
	waitHTTP(t, "http://"+amAddr+"/-/ready")
	return amAddr
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt,omitzero"`
}

func postAlerts(t testing.TB, amAddr string, alerts []amAlert) {
	t.Helper()
	body, _ := json.Marshal(alerts)
	resp, err := http.Post("http://"+amAddr+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("alertmanager: HTTP %d: %s", resp.StatusCode, b)
	}
}

func countResolvedRecords(t *testing.T, store string) int {
	n := 0
	_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "incident.json" {
			return err
		}
		var rec struct {
			Incident struct{ Status string } `json:"incident"`
		}
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &rec) == nil && rec.Incident.Status == "resolved" {
			n++
		}
		return nil
	})
	return n
}

// profileLinks maps artifact keys to the links the incident records give
// people for them.
func profileLinks(t *testing.T, store string) map[string]string {
	t.Helper()
	links := map[string]string{}
	_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "incident.json" {
			return err
		}
		var rec struct {
			Pods []struct {
				Profiles []struct{ Key, Link string }
			}
		}
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &rec) != nil {
			t.Fatalf("incident record %s: %v", path, err)
		}
		for _, p := range rec.Pods {
			for _, pr := range p.Profiles {
				links[pr.Key] = pr.Link
			}
		}
		return nil
	})
	return links
}

// heapFunctions returns the full function names of the heap table that
// the incident records hold for the target whose name ends with pod.
func heapFunctions(t *testing.T, store, pod string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "incident.json" {
			return err
		}
		var rec struct {
			Pods []struct {
				Target   string
				Profiles []struct {
					Name    string
					Summary *struct{ Rows []struct{ Function string } }
				}
			}
		}
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("incident record %s: %v", path, err)
		}
		for _, p := range rec.Pods {
			for _, pr := range p.Profiles {
				if strings.HasSuffix(p.Target, pod) && pr.Name == "heap" && pr.Summary != nil {
					for _, r := range pr.Summary.Rows {
						out = append(out, r.Function)
					}
				}
			}
		}
		return nil
	})
	return out
}

func findFile(root, suffix string) string {
	var found string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, string(filepath.Separator)+suffix) {
			found = path
		}
		return nil
	})
	return found
}

// proc is a child process whose output the test keeps.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// startProc prepares a child process; call start to run it.
func startProc(t testing.TB, name, bin string, args ...string) *proc {
	t.Helper()
	return &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan error, 1)}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) start(t testing.TB) {
	t.Helper()
	p.cmd.Stdout, p.cmd.Stderr = p, p
	stdin, err := p.cmd.StdinPipe() // closed at cleanup; the demo target exits on EOF
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.wait(10 * time.Second); err != nil && p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("--- %s output ---\n%s", p.name, p.output())
		}
	})
}

func (p *proc) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(d):
		return fmt.Errorf("%s did not exit within %s", p.name, d)
	}
}

func (p *proc) waitLine(t testing.TB, prefix string) string {
	t.Helper()
	var line string
	waitUntil(t, 15*time.Second, p.name+" prints "+prefix, func() bool {
		sc := bufio.NewScanner(strings.NewReader(p.output()))
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), prefix) {
				line = sc.Text()
				return true
			}
		}
		return false
	})
	return line
}

func freeAddr(t testing.TB) string { t.Helper(); return freeAddrOn(t, "127.0.0.1") }

// freeAddrOn returns host:port with a port free on host now.
func freeAddrOn(t testing.TB, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func writeFile(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitHTTP(t testing.TB, url string) {
	t.Helper()
	waitUntil(t, 30*time.Second, url+" answers 200", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func httpGet(t testing.TB, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 100<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %v", url, resp.StatusCode, err)
	}
	return b
}

func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
