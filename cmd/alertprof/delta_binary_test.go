package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// startRootcause builds and runs report/testdata/gen/rootcause with args
// and returns its pprof address; it exits when the test ends.
func startRootcause(t *testing.T, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rootcause")
	if out, err := exec.Command("go", "build", "-o", bin, "../../report/testdata/gen/rootcause").CombinedOutput(); err != nil {
		t.Fatalf("build rootcause: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "pprof ")
	if err != nil || !ok {
		t.Fatalf("rootcause said %q (%v)", line, err)
	}
	return addr
}

// section is the text report's section of one profile: from its
// "[name] " line to the next section.
func section(report, name string) string {
	_, rest, ok := strings.Cut(report, "\n["+name+"] ")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n["); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// TestCaptureDeltaThroughTheBinary: `alertprof capture` on a real program
// that had a burst of lock contention before the capture and has a new
// one during it. The mutex profile, taken as a delta over the capture's
// window, names only the new burst's holder, and the report says so; the
// same capture with delta_seconds: -1 (since process start) names the old
// burst too. `alertprof analyze` on the stored pod directory prints the
// capture's summary.txt.
func TestCaptureDeltaThroughTheBinary(t *testing.T) {
	addr := startRootcause(t, "-mode", "bursts", "-waiters", "8")
	resp, err := http.Get("http://" + addr + "/burst")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	const oldHolder, newHolder = "main.(*ledger).compact", "main.(*ledger).refresh"

	capture := func(config string) (string, string) {
		t.Helper()
		out := t.TempDir()
		args := []string{"capture", "--address", addr, "--profiles", "mutex,goroutines", "--cpu-seconds", "2", "--out", out}
		if config != "" {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--config", path)
		}
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none")) // static mode
		report, err := cmd.Output()
		if err != nil {
			t.Fatalf("capture: %v\n%s", err, report)
		}
		summaries, _ := filepath.Glob(filepath.Join(out, "incidents", "*", "*", "*", "*", "*", "*", "summary.txt"))
		if len(summaries) != 1 {
			t.Fatalf("summaries %q, want one\n%s", summaries, report)
		}
		return string(report), summaries[0]
	}

	delta, summary := capture("")
	mutex := section(delta, "mutex")
	t.Logf("delta:\n%s", mutex)
	if head := regexp.MustCompile(`(?m)^=> .*$`).FindString(delta); !strings.HasPrefix(head, "=> lock held by "+newHolder+" (") {
		t.Errorf("headline %q, want the new burst's holder %s", head, newHolder)
	}
	if !strings.HasPrefix(mutex, "mutex delay: total ") || !strings.Contains(mutex, " over the last 2s\n") ||
		!strings.Contains(mutex, newHolder) || strings.Contains(mutex, oldHolder) {
		t.Errorf("the delta mutex section, want %s over the last 2s and no %s:\n%s", newHolder, oldHolder, mutex)
	}
	checkAnalyzeDirMatchesSummary(t, summary)
	js, err := exec.Command(binary, "analyze", "--format", "json", filepath.Join(filepath.Dir(summary), "mutex.pb.gz")).Output()
	if err != nil || !strings.Contains(string(js), `"window":"over the last 2s"`) {
		t.Errorf("analyze --format json (%v) does not give the window:\n%.300s", err, js)
	}

	since, _ := capture("capture:\n  delta_seconds: -1\n")
	mutex = section(since, "mutex")
	if !strings.Contains(mutex, " since process start\n") || !strings.Contains(mutex, newHolder) || !strings.Contains(mutex, oldHolder) {
		t.Errorf("the since-start mutex section, want both %s and %s:\n%s", oldHolder, newHolder, mutex)
	}
}
