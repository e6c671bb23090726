package kubetest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Kubelet emulates the one kubelet endpoint alertprof reaches through the
// API server: GET /containerLogs/NS/POD/CONTAINER (pods/log), which the
// API server calls over TLS through the egress helper. It serves only the
// logs a test sets, and records each request's query. It is a stand-in,
// not a kubelet: nothing else of the kubelet's API exists.
type Kubelet struct {
	srv *httptest.Server
	mu  sync.Mutex
	// logs maps "ns/pod/container/previous" to the log text.
	logs     map[string]string
	requests []string
}

// StartKubelet starts the stand-in on 127.0.0.1 with a self-signed
// certificate (the API server, given no kubelet CA, does not verify it).
func StartKubelet() *Kubelet {
	k := &Kubelet{logs: make(map[string]string)}
	k.srv = httptest.NewUnstartedServer(http.HandlerFunc(k.serve))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("kubetest: kubelet listen: %v", err))
	}
	k.srv.Listener = ln
	k.srv.StartTLS()
	return k
}

// Port is the port the stand-in listens on; give it to CreateNode.
func (k *Kubelet) Port() int { return k.srv.Listener.Addr().(*net.TCPAddr).Port }

// Close stops the stand-in.
func (k *Kubelet) Close() { k.srv.Close() }

// SetLog sets the log of a container: its current instance, or its
// previous one (what "kubectl logs --previous" shows).
func (k *Kubelet) SetLog(ns, pod, container string, previous bool, text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.logs[ns+"/"+pod+"/"+container+"/"+strconv.FormatBool(previous)] = text
}

// Requests lists the requests served, as "PATH?QUERY".
func (k *Kubelet) Requests() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.requests...)
}

func (k *Kubelet) serve(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.requests = append(k.requests, r.URL.Path+"?"+r.URL.RawQuery)
	k.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/containerLogs/") || len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	previous := r.URL.Query().Get("previous") == "true"
	k.mu.Lock()
	text, ok := k.logs[strings.Join(parts, "/")+"/"+strconv.FormatBool(previous)]
	k.mu.Unlock()
	if !ok {
		http.Error(w, "no such log", http.StatusNotFound)
		return
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("tailLines")); err == nil && n >= 0 && n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	w.Header().Set("Content-Type", "text/plain")
	for _, l := range lines {
		fmt.Fprint(w, l)
	}
}
