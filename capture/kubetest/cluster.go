package kubetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Environment variables naming the binaries (printed by .ci/tools.sh).
const (
	EnvEtcd      = "ALERTPROF_ETCD"
	EnvAPIServer = "ALERTPROF_KUBE_APISERVER"
)

// startTimeout bounds how long etcd and the API server may take to become
// ready on a loaded machine. It is a startup limit, not an assertion.
const startTimeout = 3 * time.Minute

// Token is a static bearer token and the user it authenticates as.
type Token struct {
	Token, User, UID string
	Groups           []string
}

// ServiceAccountToken returns a static token that authenticates as the
// service account ns/name, with the groups a real service account token
// carries, so RBAC treats it exactly as that service account.
func ServiceAccountToken(token, ns, name string) Token {
	return Token{
		Token:  token,
		User:   "system:serviceaccount:" + ns + ":" + name,
		UID:    "sa-" + ns + "-" + name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
}

// Options configure a test cluster.
type Options struct {
	// Tokens are accepted by the API server's static token file.
	Tokens []Token
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// URL is the API server, https://127.0.0.1:PORT.
	URL string
	// Dir holds the certificates, logs and etcd data.
	Dir string
	// Admin is a rest config for a system:masters client certificate.
	Admin *rest.Config

	pki       *pki
	etcd      *proc
	apiserver *proc
	egress    *egress
}

// StartT starts a cluster for one test and stops it when the test ends.
// It fails the test (never skips it) when the binaries are not set.
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Start starts etcd and kube-apiserver and waits until the API server is
// ready. Call Stop when done.
func Start(opts Options) (c *Cluster, err error) {
	etcdBin, apiBin := os.Getenv(EnvEtcd), os.Getenv(EnvAPIServer)
	if etcdBin == "" || apiBin == "" {
		return nil, fmt.Errorf("kubetest: %s and %s must name the etcd and kube-apiserver binaries; "+
			`run: eval "$(bash .ci/tools.sh | sed 's/^/export /')"`, EnvEtcd, EnvAPIServer)
	}
	// A short path: the egress unix socket's name must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "kt")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if c.pki, err = writePKI(dir); err != nil {
		return nil, fmt.Errorf("kubetest: certificates: %w", err)
	}
	if c.egress, err = startEgress(filepath.Join(dir, "egress.sock")); err != nil {
		return nil, fmt.Errorf("kubetest: egress helper: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.etcd, err = startProcess(dir, "etcd", etcdBin,
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := c.writeConfigFiles(opts); err != nil {
		return nil, err
	}
	c.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	c.apiserver, err = startProcess(dir, "kube-apiserver", apiBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+c.pki.ServingCert, "--tls-private-key-file="+c.pki.ServingKey,
		"--client-ca-file="+c.pki.CAFile,
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+c.pki.SAPublic,
		"--service-account-signing-key-file="+c.pki.SAPrivate,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		"--egress-selector-config-file="+filepath.Join(dir, "egress.yaml"),
		"--kubelet-preferred-address-types=InternalIP",
	)
	if err != nil {
		return nil, err
	}
	c.Admin = &rest.Config{
		Host:            c.URL,
		TLSClientConfig: rest.TLSClientConfig{CAFile: c.pki.CAFile, CertFile: c.pki.AdminCert, KeyFile: c.pki.AdminKey},
		QPS:             100, Burst: 200,
	}
	if err := c.waitReady(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) writeConfigFiles(opts Options) error {
	var tokens bytes.Buffer
	for _, t := range opts.Tokens {
		fmt.Fprintf(&tokens, "%s,%s,%s,%q\n", t.Token, t.User, t.UID, strings.Join(t.Groups, ","))
	}
	if tokens.Len() == 0 {
		tokens.WriteString("kubetest-unused-token,kubetest-nobody,kubetest-nobody\n")
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "tokens.csv"), tokens.Bytes(), 0o600); err != nil {
		return err
	}
	egressYAML := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %s
`, filepath.Join(c.Dir, "egress.sock"))
	return os.WriteFile(filepath.Join(c.Dir, "egress.yaml"), []byte(egressYAML), 0o600)
}

// waitReady polls /readyz until it answers ok, a process exits, or the
// startup limit passes; the error carries the end of the logs.
func (c *Cluster) waitReady() error {
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	rc := cs.Discovery().RESTClient()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for {
		for _, p := range []*proc{c.etcd, c.apiserver} {
			if p.exited() {
				return fmt.Errorf("kubetest: %s exited during startup:\n%s", p.name, c.logTail(p.name))
			}
		}
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubetest: the API server was not ready within %s (last error: %v):\n%s", startTimeout, last, c.logTail("kube-apiserver"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// EgressDials lists every pod or kubelet address (host:port) the API
// server connected to through the egress helper.
func (c *Cluster) EgressDials() []string { return c.egress.Dials() }

// Stop kills the API server and etcd and removes Dir.
func (c *Cluster) Stop() {
	for _, p := range []*proc{c.apiserver, c.etcd} {
		if p != nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	if c.egress != nil {
		c.egress.close()
	}
	if c.Dir != "" {
		os.RemoveAll(c.Dir)
	}
}

// proc is a started child process; done closes when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func startProcess(dir, name, bin string, args ...string) (*proc, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = cleanEnv(os.Environ())
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("kubetest: start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// cleanEnv drops ETCD_* variables: etcd reads every one as a flag.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "ETCD_") {
			out = append(out, kv)
		}
	}
	return out
}

func (c *Cluster) logTail(name string) string {
	b, err := os.ReadFile(filepath.Join(c.Dir, name+".log"))
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
