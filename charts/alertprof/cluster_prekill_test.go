//go:build integration

package chart_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
	"github.com/alertprof/alertprof/report"
	"github.com/alertprof/alertprof/report/slackrec"
)

// Sizes of the test: the container's limit, and the heaps of the instance
// near it and of the one that replaces it.
const (
	limitMiB  = 80
	nearMiB   = 64 // 80% of the limit
	freshMiB  = 4
	prekillNS = "shop"
)

// testBeforeTheKill is the acceptance test of the capture before an OOM
// kill, on the real API server through the real `alertprof serve` (the
// chart's rendered config): a Deployment's pod whose heap is at 80% of
// its memory limit (a real Go process serving pprof, reached through
// pods/proxy) is captured by a memory alert; its status then shows an
// OOM-killed restart (lastState.terminated OOMKilled, restartCount 1,
// written through the status subresource) and a new, small process
// serves in its place; the restart alert's report, in Slack, summary.txt
// and incident.json, leads with the earlier capture, links it, and
// compares the killed heap with the new one.
func testBeforeTheKill(t *testing.T, c *kubetest.Cluster, a *applier, admin kubernetes.Interface, bin string) {
	ctx := t.Context()
	prog := buildNearLimit(t)
	port := freePort(t)
	near := startNearLimit(t, prog, port, nearMiB)

	ctrl := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: prekillNS, Name: "api-7d9f8c-x2k4p",
			Labels:      map[string]string{"app": "api", "pod-template-hash": "7d9f8c"},
			Annotations: map[string]string{kube.AnnotationPort: strconv.Itoa(port)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7d9f8c",
				UID: types.UID("uid-api-7d9f8c"), Controller: &ctrl}},
		},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "app", Image: "example.invalid/api:1",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(strconv.Itoa(limitMiB) + "Mi")}}}}},
	}
	if _, err := kubetest.RunPod(ctx, admin, pod, kubetest.FakeIP(90), nil); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := c.WriteKubeconfig(saToken)
	if err != nil {
		t.Fatal(err)
	}
	slack := slackrec.New(t, persistSlack)
	objs := render(t, "--set", "config.capture.kubernetes.fetch_mode=proxy",
		"--set", "config.capture.plans.memory={heap,memstats}",
		"--set", "config.report.before_kill_window=1h",
		"--set", "config.slack.channel=C0PREKILL", "--set", "config.slack.api_url="+slack.URL,
		"--set", "secret.slackBotToken="+persistSlack, "--set", "secret.webhookToken="+persistToken,
		"--set", "ingress.enabled=true", "--set", "ingress.host="+persistHost)
	var rbac objects
	for _, u := range objs {
		if k := u.GetKind(); k == "ClusterRole" || k == "ClusterRoleBinding" || k == "ServiceAccount" {
			rbac = append(rbac, u)
		}
	}
	a.apply(t, rbac, false)
	waitProxyAllowed(t, kubetest.Client(t, c.TokenConfig(saToken)), prekillNS)
	volumes := t.TempDir()
	srv := startRendered(t, bin, kubeconfig, objs, volumes, "before the kill")
	defer srv.stop(t)

	// 1. The early warning: a memory alert captures the pod near its limit.
	postLabels(t, srv.url, `{}:{alertname="ContainerMemoryOOMRisk"}`, map[string]string{
		"alertname": "ContainerMemoryOOMRisk", "alertprof_kind": "memory", "namespace": prekillNS, "pod": pod.Name, "container": "app"})
	memRec := waitRecord(t, volumes, "ContainerMemoryOOMRisk", func(r storedRecord) bool { return len(r.Pods) == 1 })
	mem := memRec.Pods[0]
	heap := heapSummary(mem)
	if mem.Problem != "" || heap == nil {
		t.Fatalf("the memory capture: problem %q, profiles %+v", mem.Problem, mem.Profiles)
	}
	if pct := float64(heap.Total) / float64(limitMiB<<20) * 100; pct < 75 || pct > 90 {
		t.Errorf("the captured heap is %.1f%% of the %dMi limit, want about 80%%", pct, limitMiB)
	}
	if mem.Workload != "Deployment/api" {
		t.Errorf("the pod's workload %q, want Deployment/api", mem.Workload)
	}
	t.Logf("memory capture (incident %s): %s", memRec.Incident.ID, mem.Headline)

	// 2. The kernel kills the container; the kubelet restarts it: a new
	// process with a small heap, and the status of an OOM kill.
	// Status times have whole seconds: the kill comes after the capture.
	killedAt := time.Now().Truncate(time.Second).Add(time.Second)
	near.stop(t)
	startNearLimit(t, prog, port, freshMiB)
	p, err := admin.CoreV1().Pods(prekillNS).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.ContainerStatuses[0].RestartCount = 1
	p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: "OOMKilled", ExitCode: 137, StartedAt: metav1.NewTime(killedAt.Add(-time.Hour)), FinishedAt: metav1.NewTime(killedAt)}}
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(killedAt.Add(time.Second))}}
	if _, err := admin.CoreV1().Pods(prekillNS).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// 3. The restart alert: its report leads with the capture before the kill.
	postLabels(t, srv.url, `{}:{alertname="ContainerOOMKilled"}`, map[string]string{
		"alertname": "ContainerOOMKilled", "alertprof_kind": "restart", "reason": "OOMKilled", "namespace": prekillNS, "pod": pod.Name, "container": "app"})
	rec := waitRecord(t, volumes, "ContainerOOMKilled", func(r storedRecord) bool { return len(r.Pods) == 1 })
	pr := rec.Pods[0]
	bk := pr.BeforeKill
	if bk == nil {
		t.Fatalf("the restart's report has no capture before the kill: headline %q, restart %+v, problem %q", pr.Headline, pr.Restart, pr.Problem)
	}
	wantLead := regexp.MustCompile(`^\d+ s before the kill: inuse heap \d+(\.\d+)?MB, \d+(\.\d+)?% allocated by (\S+ ← )?main\.fillCache \(incident ` + regexp.QuoteMeta(memRec.Incident.ID) + `\)$`)
	if !wantLead.MatchString(bk.Lead) {
		t.Errorf("incident.json before_kill.lead %q, want %s", bk.Lead, wantLead)
	}
	if !bk.SamePod || bk.Incident != memRec.Incident.ID || !bk.CapturedAt.Equal(mem.CapturedAt) || !bk.KilledAt.Equal(killedAt) {
		t.Errorf("before_kill %+v, want the memory incident's capture of this pod", bk)
	}
	if g := bk.Growth; g == nil || g.Headline == nil || g.Headline.Culprit() != "main.fillCache" || g.Headline.Net < (nearMiB-freshMiB-8)<<20 {
		t.Errorf("killed against new heap %+v (error %q), want about +%dMiB in main.fillCache", g, bk.GrowthError, nearMiB-freshMiB)
	}
	t.Logf("restart report: %s\n  %s", bk.Lead, bk.GrowthLine())

	// summary.txt leads with it.
	summary := readStored(t, volumes, pr.SummaryKey)
	if lines := strings.SplitN(summary, "\n", 4); len(lines) < 3 || lines[2] != "=> "+bk.Lead {
		t.Errorf("summary.txt does not lead with the capture before the kill:\n%s", summary)
	}

	// Slack: the reply's first block after its title is the lead, and its
	// incident.json link serves the memory incident's record.
	var reply slackrec.Call
	waitFor(t, "the restart's Slack reply", func() bool {
		for _, m := range slack.Calls("chat.postMessage") {
			if m.ThreadTS() != "" && strings.Contains(m.Blocks(), "before the kill") {
				reply = m
				return true
			}
		}
		return false
	})
	var blocks []struct {
		Type     string                  `json:"type"`
		Text     struct{ Text string }   `json:"text"`
		Elements []struct{ Text string } `json:"elements"`
	}
	if err := json.Unmarshal([]byte(reply.Blocks()), &blocks); err != nil || len(blocks) < 3 {
		t.Fatalf("reply blocks (%v): %s", err, reply.Blocks())
	}
	if want := ":skull: *" + bk.Lead + "*"; !strings.HasPrefix(blocks[1].Text.Text, want) {
		t.Errorf("the reply's first block after its title is %q, want it to start %q", blocks[1].Text.Text, want)
	}
	recLink := regexp.MustCompile(`<http://` + regexp.QuoteMeta(persistHost) + `(/artifacts/[^|>]+)\|incident\.json>`).FindStringSubmatch(blocks[2].Elements[0].Text)
	if blocks[2].Type != "context" || recLink == nil || !strings.Contains(recLink[1], memRec.Incident.ID+"/incident.json") {
		t.Fatalf("the reply's links %+v, want the memory incident's incident.json", blocks[2])
	}
	resp, err := http.Get(strings.TrimSuffix(srv.url, "/api/v1/alerts") + strings.ReplaceAll(recLink[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	var linked storedRecord
	err = json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&linked)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || linked.Incident.ID != memRec.Incident.ID {
		t.Errorf("GET the incident.json link: %s, %v, incident %q; want the memory incident %s", resp.Status, err, linked.Incident.ID, memRec.Incident.ID)
	}
}

// storedRecord is what incident.json holds.
type storedRecord struct {
	Incident report.Incident    `json:"incident"`
	Pods     []report.PodReport `json:"pods"`
}

func heapSummary(pr report.PodReport) *struct{ Total int64 } {
	for _, p := range pr.Profiles {
		if p.Name == "heap" && p.Summary != nil && p.Summary.SampleType == "inuse_space" {
			return &struct{ Total int64 }{p.Summary.Total}
		}
	}
	return nil
}

// waitRecord waits for an incident.json under volumes of alert alertname
// that satisfies ok.
func waitRecord(t *testing.T, volumes, alertname string, ok func(storedRecord) bool) storedRecord {
	t.Helper()
	var found storedRecord
	waitFor(t, "the incident record of "+alertname, func() bool {
		done := false
		_ = filepath.WalkDir(volumes, func(path string, d fs.DirEntry, err error) error {
			if err != nil || done || d.IsDir() || d.Name() != "incident.json" {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			var r storedRecord
			if json.Unmarshal(b, &r) == nil && r.Incident.AlertName == alertname && ok(r) {
				found, done = r, true
			}
			return nil
		})
		return done
	})
	return found
}

// readStored reads the stored artifact key from the local store under
// volumes.
func readStored(t *testing.T, volumes, key string) string {
	t.Helper()
	var out string
	_ = filepath.WalkDir(volumes, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(filepath.ToSlash(path), "/"+key) {
			b, _ := os.ReadFile(path)
			out = string(b)
		}
		return nil
	})
	if out == "" {
		t.Fatalf("%s is not in the store", key)
	}
	return out
}

// postLabels sends Alertmanager's webhook for one group with one firing
// alert of labels.
func postLabels(t *testing.T, url, groupKey string, labels map[string]string) {
	t.Helper()
	lb, err := json.Marshal(labels)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"alertprof","groupKey":%q,"groupLabels":{"alertname":%q},"alerts":[{"status":"firing","startsAt":%q,"labels":%s}]}`,
		groupKey, labels["alertname"], time.Now().UTC().Format(time.RFC3339), lb)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+persistToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST the alert: %s", resp.Status)
	}
}

func buildNearLimit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nearlimit")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/nearlimit").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/nearlimit: %v\n%s", err, out)
	}
	return bin
}

// nearLimit is a running nearlimit process.
type nearLimit struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startNearLimit runs the program holding heapMiB on 127.0.0.1:port; it
// stops when the test ends.
func startNearLimit(t *testing.T, bin string, port, heapMiB int) *nearLimit {
	t.Helper()
	cmd := exec.Command(bin, "-listen", "127.0.0.1:"+strconv.Itoa(port), "-heap", strconv.Itoa(heapMiB))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nearLimit{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { p.stop(t) })
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("nearlimit did not start: %v", err)
	}
	return p
}

// stop ends the process (it exits when its stdin closes) and waits for it.
func (p *nearLimit) stop(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
