package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// threeErrors has three problems: an unknown key (line 3), a value of
// the wrong type (line 6) and a check that fails (line 8).
const threeErrors = `# alertprof
listen: ":9095"
captur:
  cpu_seconds: 5
report:
  top: ten
capture:
  cooldown: 0s
  cpu_seconds: 20
`

// TestCheckConfig runs `alertprof check-config` through the binary.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "config.yaml")
	good := filepath.Join(dir, "good.yaml")
	mustWrite(t, bad, threeErrors)
	mustWrite(t, good, "listen: \":9095\"\ncapture:\n  cooldown: 1m\n")

	code, out, errOut := runBinary(t, nil, "check-config", bad)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := []string{
		bad + ":3: unknown key captur (did you mean capture?)",
		bad + ":6: report.top: cannot unmarshal !!str `ten` into int",
		bad + ":8: capture.cooldown must be positive (got 0s)",
	}
	if code != 1 || len(lines) != len(want) {
		t.Fatalf("exit %d, %d lines; want 1 and %d:\n%s%s", code, len(lines), len(want), out, errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n got %s\nwant %s…", i+1, lines[i], w)
		}
	}

	if code, out, errOut := runBinary(t, nil, "check-config", good); code != 0 || out != "ok\n" {
		t.Errorf("a good file: exit %d, %q %s", code, out, errOut)
	}
	if code, _, errOut := runBinary(t, nil, "check-config", filepath.Join(dir, "absent.yaml")); code != 1 || !strings.Contains(errOut, "absent.yaml") {
		t.Errorf("an absent file: exit %d, %s", code, errOut)
	}
	// The environment counts, as it does for serve: Slack configured
	// without its token is a problem, at the slack key's line.
	mustWrite(t, good, "listen: \":9095\"\nslack:\n  channel: C1\n")
	if code, out, _ := runBinary(t, nil, "check-config", good); code != 1 || !strings.HasPrefix(out, good+":2: slack is configured but SLACK_BOT_TOKEN is not set") {
		t.Errorf("slack without a token: exit %d, %s", code, out)
	}
	if code, out, errOut := runBinary(t, []string{"SLACK_BOT_TOKEN=xoxb-test"}, "check-config", good); code != 0 || out != "ok\n" {
		t.Errorf("slack with a token: exit %d, %s%s", code, out, errOut)
	}
}

// TestServeShowsEveryConfigError: serve refuses to start and names every
// problem, each at its line.
func TestServeShowsEveryConfigError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	mustWrite(t, path, threeErrors)
	code, _, errOut := runBinary(t, nil, "serve", "--config", path, "--listen", "127.0.0.1:0")
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, errOut)
	}
	for _, want := range []string{":3: unknown key captur", ":6: report.top", ":8: capture.cooldown"} {
		if !strings.Contains(errOut, "alertprof: "+path+want) {
			t.Errorf("serve's error lacks %q:\n%s", want, errOut)
		}
	}
}

// TestConfigErrorLines: each problem is at the line of its key, nested
// keys and list items included, and every check runs.
func TestConfigErrorLines(t *testing.T) {
	body := `webhook:
  workers: 0
  queue_size: 0
capture:
  kubernetes:
    fetchmode: proxy
    namespaces:
      deny: ["shop", "["]
  static:
    allowed_cidrs:
      - 10.0.0.0/8
      - 10.0.0.0/33
  access:
    - cidrs: [10.0.0.0/8]
    - cidrs: [nope]
log:
  format: xml
`
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(path, func(string) string { return "" })
	ce, ok := err.(*configErrors)
	if !ok {
		t.Fatalf("error %T %v", err, err)
	}
	want := []string{
		path + ":2: webhook.workers must be at least 1",
		path + ":3: webhook.queue_size must be at least 1",
		path + ":6: unknown key fetchmode in capture.kubernetes (did you mean fetch_mode?)",
		path + `:8: capture.kubernetes.namespaces: "[" is not a valid pattern`,
		path + `:12: capture.static.allowed_cidrs: "10.0.0.0/33" is not a CIDR`,
		path + `:15: capture.access[1].cidrs: "nope" is not a CIDR`,
		path + `:17: log.format "xml" is not text or json`,
	}
	got := ce.Lines()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"capture", "listen", "log", "public_url", "slack", "store"}
	for in, want := range map[string]string{"captur": "capture", "lsten": "listen", "publicurl": "public_url", "slack_token": "", "zzz": "", "a": "", "lg": "log", "cooldwn": ""} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestConfigErrorsSplitJoins: a joined error is one problem per part; an
// error that wraps several in words of its own stays one; the same fault
// seen by two checks is one line.
func TestConfigErrorsSplitJoins(t *testing.T) {
	a, b := errors.New("config: a is wrong"), errors.New("config: b is wrong")
	e := &configErrors{}
	e.add(errors.Join(a, errors.Join(b, a)), nil)
	e.add(fmt.Errorf("config: both %w and %w", a, b), nil)
	want := []string{"config: a is wrong", "config: b is wrong", "config: both config: a is wrong and config: b is wrong"}
	if got := e.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
	if !errors.Is(e, b) {
		t.Error("the problems do not unwrap to their errors")
	}
}
