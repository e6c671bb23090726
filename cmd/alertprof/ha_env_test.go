//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/kubetest"
	"github.com/alertprof/alertprof/report/slackrec"
)

// haEnv is several `alertprof serve` replicas sharing the work through a
// real kube-apiserver (Leases; pods whose pods/proxy fetches reach real
// pprof servers on this machine) and a real MinIO, posting to the Slack
// recorder.
type haEnv struct {
	work       string
	cluster    *kubetest.Cluster
	admin      kubernetes.Interface
	kubeconfig string
	minio      string
	slack      *slackrec.Server
	replicas   []*haReplica
	nextIP     int
}

const (
	haToken      = "ha-webhook-token-0123456789"
	haSlackToken = "xoxb-ha-slack-token"
	haKubeToken  = "ha-kube-admin-token"
	haMinioUser  = "alertprof-ha"
	haMinioPass  = "alertprof-ha-secret-0123456789"
	haLeaseNS    = "alertprof"
	haPodNS      = "shop"
	// haLease is the replicas' Lease duration, short for the test.
	haLease = 4 * time.Second
)

// haReplica is one `alertprof serve` of the set.
type haReplica struct {
	*proc
	id, addr, config string
	env              []string
}

func newHAEnv(t testing.TB) *haEnv {
	t.Helper()
	e := &haEnv{work: t.TempDir(), nextIP: 10}
	e.cluster = kubetest.StartT(t, kubetest.Options{Tokens: []kubetest.Token{
		{Token: haKubeToken, User: "ha-admin", UID: "ha-admin", Groups: []string{"system:masters", "system:authenticated"}},
	}})
	e.admin = kubetest.Client(t, e.cluster.Admin)
	for _, ns := range []string{haLeaseNS, haPodNS} {
		if err := kubetest.CreateNamespace(t.Context(), e.admin, ns); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if e.kubeconfig, err = e.cluster.WriteKubeconfig(haKubeToken); err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("ALERTPROF_MINIO")
	if bin == "" {
		t.Fatal("ALERTPROF_MINIO is not set: run the README test command, which builds MinIO and exports it")
	}
	e.minio = freeAddr(t)
	m := startProc(t, "minio", bin, "server", "--quiet", "--address", e.minio, "--console-address", freeAddr(t), filepath.Join(e.work, "minio"))
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+haMinioUser, "MINIO_ROOT_PASSWORD="+haMinioPass, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	m.start(t)
	waitHTTP(t, "http://"+e.minio+"/minio/health/live")
	e.slack = slackrec.New(t, haSlackToken)
	return e
}

// haPod is a pod in the API server whose pprof fetches reach a real
// pprof server on this machine, which counts what is asked of it.
type haPod struct {
	name    string
	targets *stormTargets
}

// runPod starts a pprof server process of its own (one CPU profiler per
// pod) and a Running pod named name whose alertprof.io/port is its port.
func (e *haEnv) runPod(t testing.TB, name string) *haPod {
	t.Helper()
	st := startStormTargets(t, 1)
	e.createPod(t, name, st.addrs[0])
	return &haPod{name: name, targets: st}
}

// createPod creates a Running pod named name, with the next address in
// kubetest.FakeNet, whose fetches reach the pprof server at addr.
func (e *haEnv) createPod(t testing.TB, name, addr string) {
	t.Helper()
	ip := kubetest.FakeIP(e.nextIP)
	e.nextIP++
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: haPodNS, Annotations: map[string]string{"alertprof.io/port": portOf(addr)}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
	}
	if _, err := kubetest.RunPod(t.Context(), e.admin, pod, ip, nil); err != nil {
		t.Fatal(err)
	}
}

// asked returns how many times each endpoint of p was asked for.
func (p *haPod) asked(t testing.TB) map[string]int {
	t.Helper()
	return p.targets.counts(t).Requests[p.targets.addrs[0]]
}

// startReplica writes replica i's configuration and starts it. capture
// is added to its capture section, indented.
func (e *haEnv) startReplica(t testing.TB, i int, captureYAML string) *haReplica {
	t.Helper()
	r := &haReplica{id: "alertprof-" + strconv.Itoa(i), addr: freeAddr(t), config: filepath.Join(e.work, fmt.Sprintf("alertprof-%d.yaml", i))}
	writeFile(t, r.config, fmt.Sprintf(`listen: %s
capture:
%s  mode: kubernetes
  kubernetes:
    kubeconfig: %s
store:
  s3:
    endpoint: %s
    bucket: alertprof
    tls: false
    create_bucket: true
  spool:
    dir: %s
slack:
  channel: C0INCIDENTS
  api_url: %s
coordination:
  enabled: true
  namespace: %s
  identity: %s
  lease_duration: %s
  sweep_interval: 1s
log:
  level: debug
`, r.addr, captureYAML, e.kubeconfig, e.minio, filepath.Join(e.work, "spool-"+strconv.Itoa(i)), e.slack.URL, haLeaseNS, r.id, haLease))
	r.env = append(os.Environ(), "ALERTPROF_WEBHOOK_TOKEN="+haToken, "SLACK_BOT_TOKEN="+haSlackToken,
		"AWS_ACCESS_KEY_ID="+haMinioUser, "AWS_SECRET_ACCESS_KEY="+haMinioPass)
	r.start(t, "")
	if i < len(e.replicas) {
		e.replicas[i] = r
	} else {
		e.replicas = append(e.replicas, r)
	}
	return r
}

// start runs the replica (again, after a stop, as name).
func (r *haReplica) start(t testing.TB, name string) {
	t.Helper()
	r.proc = startProc(t, r.id+name, binary, "serve", "--config", r.config)
	r.cmd.Env = r.env
	r.proc.start(t)
	waitHTTP(t, "http://"+r.addr+"/readyz")
}

// kill ends the replica at once, as a node failure would.
func (r *haReplica) kill(t testing.TB) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = r.wait(10 * time.Second)
}

// startAlertmanagerPair runs two Alertmanagers clustered with
// --cluster.peer, the first delivering to alertprof at ap[0], the second
// at ap[1], and returns their addresses.
func startAlertmanagerPair(t testing.TB, work string, ap [2]string, groupInterval, repeat string) [2]string {
	t.Helper()
	amBin := os.Getenv("ALERTPROF_ALERTMANAGER")
	if amBin == "" {
		t.Fatal("ALERTPROF_ALERTMANAGER is not set: run the README test command (.ci/test.sh), which installs Alertmanager")
	}
	var web, gossip [2]string
	for i := range 2 {
		web[i], gossip[i] = freeAddr(t), freeAddr(t)
	}
	for i := range 2 {
		cfg := filepath.Join(work, fmt.Sprintf("alertmanager-%d.yml", i))
		writeFile(t, cfg, fmt.Sprintf(`route:
  receiver: alertprof
  group_by: [alertname]
  group_wait: 1s
  group_interval: %s
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
`, groupInterval, repeat, ap[i], haToken))
		am := startProc(t, fmt.Sprintf("alertmanager-%d", i), amBin, "--config.file="+cfg,
			"--storage.path="+filepath.Join(work, fmt.Sprintf("am-data-%d", i)),
			"--web.listen-address="+web[i], "--cluster.listen-address="+gossip[i], "--cluster.peer="+gossip[1-i],
			"--cluster.advertise-address="+gossip[i], "--cluster.peer-timeout=1s", "--cluster.gossip-interval=100ms")
		am.start(t)
	}
	for i := range 2 {
		waitHTTP(t, "http://"+web[i]+"/-/ready")
	}
	return web
}

// fireAt posts the same alerts to every Alertmanager, as Prometheus does
// to an HA pair.
func fireAt(t testing.TB, ams [2]string, alerts []amAlert) {
	t.Helper()
	for _, am := range ams {
		postAlerts(t, am, alerts)
	}
}

// podAlerts are alerts named alertname, one per pod, starting at startsAt
// and, when endsAt is set, resolved then.
func podAlerts(alertname string, pods []*haPod, startsAt, endsAt time.Time) []amAlert {
	var out []amAlert
	for _, p := range pods {
		out = append(out, amAlert{
			Labels:      map[string]string{"alertname": alertname, "severity": "critical", "namespace": haPodNS, "pod": p.name, "alertprof_kind": "default"},
			Annotations: map[string]string{"summary": p.name + " is slow"},
			StartsAt:    startsAt, EndsAt: endsAt,
		})
	}
	return out
}

// incidentHolder returns the replica holding the Lease of the incident
// of alertname's group, or "".
func (e *haEnv) incidentHolder(t testing.TB, alertname string) string {
	t.Helper()
	list, err := e.admin.CoordinationV1().Leases(haLeaseNS).List(t.Context(), metav1.ListOptions{LabelSelector: kube.LabelLeaseKind + "=" + capture.ClaimIncident})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list.Items {
		if strings.Contains(l.Annotations["alertprof.io/key"], `alertname="`+alertname+`"`) && l.Spec.HolderIdentity != nil {
			return *l.Spec.HolderIdentity
		}
	}
	return ""
}

// replica returns the replica named id.
func (e *haEnv) replica(id string) *haReplica {
	for _, r := range e.replicas {
		if r.id == id {
			return r
		}
	}
	return nil
}

// thread is what Slack saw of one incident: its parent, the pod replies
// and resolved replies in its thread, and the parent's updates.
type thread struct {
	parents, pods, resolved, updates int
	podNames                         map[string]int  // replies per pod name
	final                            map[string]bool // the pod's reply, as last posted or edited, captures nothing more
}

// slackThread collects the calls about alertname: the parents whose text
// names it, and every reply in their threads.
func (e *haEnv) slackThread(alertname string, pods []*haPod) thread {
	th := thread{podNames: map[string]int{}, final: map[string]bool{}}
	latest := map[string]string{} // pod reply ts → its blocks as last posted or edited
	podOf := map[string]string{}  // pod reply ts → pod name
	seq, parentTS := 0, map[string]bool{}
	calls := e.slack.Calls("")
	for _, c := range calls {
		if strings.HasPrefix(c.Method, "!") {
			continue
		}
		seq++
		if c.Method == "chat.postMessage" && c.ThreadTS() == "" && strings.Contains(c.Text(), alertname) {
			th.parents++
			parentTS[fmt.Sprintf("1700000000.%06d", seq)] = true
		}
	}
	for _, c := range calls {
		switch {
		case c.Method == "chat.update" && parentTS[c.TS()]:
			th.updates++
		case c.Method == "chat.update" && podOf[c.TS()] != "":
			latest[c.TS()] = c.Blocks()
		case c.Method != "chat.postMessage" || !parentTS[c.ThreadTS()]:
		case strings.Contains(c.Text(), "Resolved"):
			th.resolved++
		default:
			th.pods++
			for _, p := range pods {
				if strings.Contains(c.Text(), p.name) {
					th.podNames[p.name]++
					podOf[c.Posted], latest[c.Posted] = p.name, c.Blocks()
				}
			}
		}
	}
	for ts, name := range podOf {
		th.final[name] = !strings.Contains(latest[ts], "still capturing")
	}
	return th
}
