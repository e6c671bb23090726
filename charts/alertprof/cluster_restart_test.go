//go:build integration

package chart_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
	"github.com/alertprof/alertprof/report/slackrec"
)

const (
	persistToken = "persist-webhook-token"
	persistSlack = "xoxb-persist-slack-token"
	persistHost  = "prof.example.org"
)

// testRestartKeepsState runs the real binary on the chart's rendered
// config (persistence on, the default) twice over one directory standing
// for the PersistentVolumeClaim, mapped through the Deployment's own
// volume mounts. The restarted receiver continues the Slack thread, keeps
// the cooldown of the pod it captured, captures a new pod into the same
// thread, and serves the first run's artifact at the link Slack got. The
// same restart on emptyDirs (persistence off: a fresh directory per pod)
// opens a second thread, which shows the check would see the loss.
func testRestartKeepsState(t *testing.T, c *kubetest.Cluster, a *applier, admin kubernetes.Interface, bin string) {
	ctx := t.Context()
	port := servePprof(t)
	for i, name := range []string{"persist-a", "persist-b", "lost-a"} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}}}}
		pod.Namespace, pod.Name = "shop", name
		pod.Annotations = map[string]string{kube.AnnotationPort: strconv.Itoa(port)}
		if _, err := kubetest.RunPod(ctx, admin, pod, kubetest.FakeIP(70+i), nil); err != nil {
			t.Fatal(err)
		}
	}
	kubeconfig, err := c.WriteKubeconfig(saToken)
	if err != nil {
		t.Fatal(err)
	}

	run := func(t *testing.T, persistence bool, podA, podB string) (parents, replies []slackrec.Call) {
		slack := slackrec.New(t, persistSlack)
		objs := render(t, "--set", "config.capture.kubernetes.fetch_mode=proxy",
			"--set", "config.capture.profiles={heap,goroutine}",
			"--set", "config.slack.channel=C0PERSIST", "--set", "config.slack.api_url="+slack.URL,
			"--set", "secret.slackBotToken="+persistSlack, "--set", "secret.webhookToken="+persistToken,
			"--set", "ingress.enabled=true", "--set", "ingress.host="+persistHost,
			"--set", "persistence.enabled="+strconv.FormatBool(persistence))
		// The rendered RBAC (fetch_mode proxy) for real, so that the
		// ServiceAccount may fetch through pods/proxy.
		var rbac objects
		for _, u := range objs {
			if k := u.GetKind(); k == "ClusterRole" || k == "ClusterRoleBinding" || k == "ServiceAccount" {
				rbac = append(rbac, u)
			}
		}
		a.apply(t, rbac, false)
		waitProxyAllowed(t, kubetest.Client(t, c.TokenConfig(saToken)), "shop")

		volumes := t.TempDir() // one directory per pod volume, kept across restarts when a PVC
		groupKey := fmt.Sprintf(`{}:{alertname="PersistTest",persistence="%v"}`, persistence)
		fire := func(url string, pods ...string) {
			t.Helper()
			postAlert(t, url, groupKey, pods)
		}
		podReplies := func(pod string) int {
			n := 0
			for _, m := range slack.Calls("chat.postMessage") {
				if m.ThreadTS() != "" && strings.Contains(allCallText(m), pod) {
					n++
				}
			}
			return n
		}

		first := startRendered(t, bin, kubeconfig, objs, volumes, "first")
		fire(first.url, podA)
		waitFor(t, "the first pod's reply", func() bool { return podReplies(podA) >= 1 })
		first.stop(t)
		if !persistence {
			volumes = t.TempDir() // a replaced pod gets new emptyDirs
		}
		second := startRendered(t, bin, kubeconfig, objs, volumes, "second")
		// Alertmanager repeats the group, then a second pod joins it.
		fire(second.url, podA)
		fire(second.url, podA, podB)
		waitFor(t, "the second pod's reply", func() bool { return podReplies(podB) >= 1 })
		second.stop(t)

		for _, m := range slack.Calls("chat.postMessage") {
			if m.ThreadTS() == "" {
				parents = append(parents, m)
			} else {
				replies = append(replies, m)
			}
		}
		if persistence {
			if n := podReplies(podA); n != 1 {
				t.Errorf("%d replies for %s: the restart lost its cooldown", n, podA)
			}
			checkArtifactLink(t, bin, kubeconfig, objs, volumes, slack, podA)
		}
		return parents, replies
	}

	t.Run("persistence: one thread across the restart", func(t *testing.T) {
		parents, replies := run(t, true, "persist-a", "persist-b")
		if len(parents) != 1 {
			t.Fatalf("%d parent messages across a restart on the PVC, want one thread", len(parents))
		}
		for _, r := range replies {
			if r.ThreadTS() != replies[0].ThreadTS() {
				t.Errorf("replies in threads %s and %s, want the incident's one thread", replies[0].ThreadTS(), r.ThreadTS())
			}
		}
		t.Logf("one thread, %d replies, across the restart", len(replies))
	})
	t.Run("emptyDir: the restart forgets the thread", func(t *testing.T) {
		parents, _ := run(t, false, "lost-a", "persist-b")
		if len(parents) < 2 {
			t.Errorf("%d parent messages across a restart on fresh emptyDirs; the persistence check cannot tell", len(parents))
		}
		t.Logf("emptyDir: %d threads for one incident across the restart", len(parents))
	})
}

// checkArtifactLink starts the receiver once more on the volume and
// fetches the first artifact link Slack got for pod (public_url comes
// from the Ingress): it must still be served.
func checkArtifactLink(t *testing.T, bin, kubeconfig string, objs objects, volumes string, slack *slackrec.Server, pod string) {
	t.Helper()
	// The Ingress has no tls, so public_url is http://host.
	re := regexp.MustCompile(`http://` + regexp.QuoteMeta(persistHost) + `(/artifacts/[^|>"\s\\]+)`)
	var path string
	for _, m := range slack.Calls("chat.postMessage") {
		if strings.Contains(allCallText(m), pod) {
			text := strings.ReplaceAll(allCallText(m), `\u0026`, "&")
			if sm := re.FindStringSubmatch(text); sm != nil {
				path = sm[1]
				break
			}
		}
	}
	if path == "" {
		var all []string
		for _, m := range slack.Calls("") {
			all = append(all, m.Method+" thread="+m.ThreadTS()+": "+allCallText(m))
		}
		t.Fatalf("no http://%s/artifacts/ link in the replies for %s:\n%s", persistHost, pod, strings.Join(all, "\n"))
	}
	p := startRendered(t, bin, kubeconfig, objs, volumes, "third")
	defer p.stop(t)
	resp, err := http.Get(strings.TrimSuffix(p.url, "/api/v1/alerts") + strings.ReplaceAll(path, "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Errorf("GET %s after two restarts: %s (%d bytes), want the gzipped heap profile", path, resp.Status, len(body))
	} else {
		t.Logf("GET %s after two restarts: %s, %d bytes", path, resp.Status, len(body))
	}
}

// rendered is one alertprof serve process on the rendered config.
type rendered struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan error
}

// startRendered runs `alertprof serve` on the rendered ConfigMap's config
// with the Secret's values as its environment, as the pod does. Each pod
// volume holding the store or spool directory is a directory under
// volumes named after the volume, so the config's paths are mapped
// through the Deployment's own mounts.
func startRendered(t *testing.T, bin, kubeconfig string, objs objects, volumes, name string) *rendered {
	t.Helper()
	var cm corev1.ConfigMap
	objs.one(t, "ConfigMap", &cm)
	var sec corev1.Secret
	objs.one(t, "Secret", &sec)
	var dep appsv1.Deployment
	objs.one(t, "Deployment", &dep)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &doc); err != nil {
		t.Fatal(err)
	}
	mounts := dep.Spec.Template.Spec.Containers[0].VolumeMounts
	for _, p := range [][]string{{"store", "local", "dir"}, {"store", "spool", "dir"}} {
		n := lookupNode(doc.Content[0], p...)
		if n == nil {
			t.Fatalf("config has no %s", strings.Join(p, "."))
		}
		var mount corev1.VolumeMount
		for _, m := range mounts {
			if n.Value == m.MountPath || strings.HasPrefix(n.Value, strings.TrimSuffix(m.MountPath, "/")+"/") {
				mount = m
			}
		}
		if mount.Name == "" {
			t.Fatalf("%s (%s) is on no volume", strings.Join(p, "."), n.Value)
		}
		rel, _ := filepath.Rel(mount.MountPath, n.Value)
		n.Value = filepath.Join(volumes, mount.Name, rel)
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	r := &rendered{url: "http://" + addr + "/api/v1/alerts", logs: &lockedBuffer{}, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, "serve", "--config", cfgFile, "--listen", addr, "--kubeconfig", kubeconfig)
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range sec.Data {
		r.cmd.Env = append(r.cmd.Env, k+"="+string(v))
	}
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("alertprof serve (%s) output:\n%s", name, r.logs.String())
		}
	})
	waitFor(t, "alertprof serve ("+name+") /readyz", func() bool {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("alertprof serve (%s) exited: %v\n%s", name, err, r.logs.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return r
}

// stop sends SIGTERM, as Kubernetes does before it replaces the pod.
func (r *rendered) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("alertprof serve did not stop cleanly: %v\n%s", err, r.logs.String())
		}
	case <-time.After(45 * time.Second):
		_ = r.cmd.Process.Kill()
		t.Errorf("alertprof serve did not stop on SIGINT\n%s", r.logs.String())
	}
}

// postAlert sends Alertmanager's webhook for one group with a firing
// alert per pod in shop.
func postAlert(t *testing.T, url, groupKey string, pods []string) {
	t.Helper()
	var alerts []string
	for _, p := range pods {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","startsAt":"2026-01-01T00:00:00Z","labels":{"alertname":"PersistTest","namespace":"shop","pod":%q}}`, p))
	}
	body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"alertprof","groupKey":%q,"groupLabels":{"alertname":"PersistTest"},"alerts":[%s]}`,
		groupKey, strings.Join(alerts, ","))
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

// servePprof serves net/http/pprof on a loopback port: the pods' pprof
// endpoint, reached through pods/proxy and the test egress.
func servePprof(t *testing.T) int {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// waitProxyAllowed waits until the RBAC authorizer lets the
// ServiceAccount GET pods/proxy in ns.
func waitProxyAllowed(t *testing.T, sa kubernetes.Interface, ns string) {
	t.Helper()
	waitFor(t, "pods/proxy allowed for the ServiceAccount", func() bool { return allowed(t, sa, ns, "get", "pods", "proxy") })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allCallText is a Slack call's text and blocks.
func allCallText(c slackrec.Call) string { return c.Text() + "\n" + c.Blocks() }

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
