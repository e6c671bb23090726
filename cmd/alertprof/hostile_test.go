//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report"
)

// podLimit is the memory limit of the pod the receiver must fit in.
const podLimit = 256 << 20

// TestHostileTargets holds `alertprof serve`, with its default limits, to
// a pod's memory limit while the targets it captures from are broken or
// hostile (testdata/hostile): a gzip bomb, an endless body, a body that
// drips one byte a second, a valid profile too large once decompressed,
// garbage, gzip inside gzip, and four valid profiles just under the
// decompressed cap whose analyses do not all fit in the memory budget at
// once, all captured at once. Its peak resident
// memory stays under 256 MiB, it stays ready, each profile's report says
// what happened, and a well-behaved target is captured right after.
func TestHostileTargets(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hostile")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/hostile").CombinedOutput(); err != nil {
		t.Fatalf("build the hostile targets: %v\n%s", err, out)
	}
	targets := startProc(t, "hostile", bin)
	targets.start(t)
	addr := make(map[string]string)
	for _, kind := range []string{"bomb", "endless", "drip", "large", "garbage", "nested", "normal", "near1", "near2", "near3", "near4"} {
		line := targets.waitLine(t, "listening "+kind+" ")
		addr[kind] = strings.TrimPrefix(line, "listening "+kind+" ")
	}

	const token = "hostile-webhook-token-0123456789"
	// Eight cores' worth of decoding at once, as on a large node: only
	// the memory budget then keeps the near-cap profiles from being
	// decoded all together.
	serve := startServer(t, t.TempDir(), serveConfig{token: token, env: []string{"GOMAXPROCS=8"}, yaml: `capture:
  mode: static
  profiles: [heap]
  timeout: 3s
  # Between the near-cap profiles (9 MB) and the large one (20 MB), so
  # that both sides of the cap are seen; the budget stays the default.
  max_decoded_bytes: 16777216
  max_pods_per_alert: 10
  max_concurrent: 10
log:
  level: debug
`})

	idle := vmHWM(t, serve.cmd.Process.Pid)
	hostile := []string{"bomb", "endless", "drip", "large", "garbage", "nested", "near1", "near2", "near3", "near4"}
	postGroup(t, serve.addr, token, "hostile", hostile, addr)
	pods := waitPods(t, serve.store, "hostile", len(hostile))

	want := map[string]string{
		"bomb":    "decompresses to more than",
		"endless": "cut at the",
		"drip":    "timed out",
		"large":   "decompresses to more than",
		"garbage": "not a valid profile",
		"nested":  "not a valid profile",
	}
	for _, kind := range hostile {
		if strings.HasPrefix(kind, "near") {
			_, heap := profileOf(t, pods, addr[kind], "heap")
			if heap.Error != "" || heap.Summary == nil {
				t.Errorf("%s target: a profile under the caps is not summarized: error %q", kind, heap.Error)
			}
			continue
		}
		pod, heap := profileOf(t, pods, addr[kind], "heap")
		if !strings.Contains(heap.Error, want[kind]) {
			t.Errorf("%s target: heap report says %q, want it to say %q", kind, heap.Error, want[kind])
		}
		if summary, err := os.ReadFile(filepath.Join(serve.store, filepath.FromSlash(pod.SummaryKey))); err != nil || !strings.Contains(string(summary), heap.Error) {
			t.Errorf("%s target: summary.txt (%v) does not say %q:\n%s", kind, err, heap.Error, summary)
		}
		if strings.Contains(want[kind], "decompresses") && (heap.Key == "" || !strings.Contains(heap.Error, "raw artifact is stored")) {
			t.Errorf("%s target: the raw artifact is not stored (key %q, error %q)", kind, heap.Key, heap.Error)
		}
	}
	waitHTTP(t, "http://"+serve.addr+"/readyz")

	postGroup(t, serve.addr, token, "normal", []string{"normal"}, addr)
	_, normal := profileOf(t, waitPods(t, serve.store, "normal", 1), addr["normal"], "heap")
	if normal.Error != "" || normal.Summary == nil {
		t.Errorf("normal target after the hostile ones: heap error %q, summary %v", normal.Error, normal.Summary != nil)
	}

	hwm := vmHWM(t, serve.cmd.Process.Pid)
	t.Logf("alertprof serve peak RSS (VmHWM): %.1f MiB when ready, %.1f MiB in all", float64(idle)/(1<<20), float64(hwm)/(1<<20))
	if hwm >= podLimit {
		t.Errorf("alertprof serve peaked at %.1f MiB resident, want under %d MiB", float64(hwm)/(1<<20), podLimit>>20)
	}
}

// postGroup sends one firing notification of group whose alerts name the
// targets of kinds by their address.
func postGroup(t *testing.T, apAddr, token, group string, kinds []string, addr map[string]string) {
	t.Helper()
	var alerts []string
	for i, k := range kinds {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"Hostile","group":%q,"instance":%q,"target":%q},"startsAt":%q,"fingerprint":"f%d"}`,
			group, addr[k], k, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), i))
	}
	body := fmt.Sprintf(`{"version":"4","groupKey":%q,"status":"firing","receiver":"alertprof","commonLabels":{"alertname":"Hostile","group":%q},"alerts":[%s]}`,
		group, group, strings.Join(alerts, ","))
	sendWebhook(t, apAddr, token, body, "notification of "+group)
}

// waitPods waits until the incident of group has n pod reports in its
// incident.json, and returns them.
func waitPods(t *testing.T, store, group string, n int) []report.PodReport {
	t.Helper()
	var pods []report.PodReport
	waitUntil(t, 2*time.Minute, fmt.Sprintf("incident %s has %d pod reports", group, n), func() bool {
		pods = nil
		_ = filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.Name() != "incident.json" {
				return err
			}
			var rec struct {
				Incident report.Incident    `json:"incident"`
				Pods     []report.PodReport `json:"pods"`
			}
			if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &rec) == nil && rec.Incident.GroupKey == group {
				pods = rec.Pods
			}
			return nil
		})
		return len(pods) >= n
	})
	return pods
}

// profileOf is the report of the pod at address and of its profile name.
func profileOf(t *testing.T, pods []report.PodReport, address, name string) (report.PodReport, report.ProfileReport) {
	t.Helper()
	for _, pr := range pods {
		if pr.Address != address && !strings.Contains(pr.Target, address) {
			continue
		}
		for _, p := range pr.Profiles {
			if p.Name == name {
				return pr, p
			}
		}
		t.Fatalf("pod %s has no %s profile: %+v", address, name, pr)
	}
	t.Fatalf("no pod report for %s in %+v", address, pods)
	return report.PodReport{}, report.ProfileReport{}
}

// vmHWM is the process's peak resident set size (VmHWM), in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
