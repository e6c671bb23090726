package kubetest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
)

// FakeNet is the documentation prefix test pods and nodes take their IPs
// from. The API server refuses to proxy to loopback, so a test pod gets an
// address in FakeNet and the egress helper carries the API server's
// connection to 127.0.0.1 on the same port, where the test's real server
// listens. (192.0.2.0/24 is not used: these machines' own interface is in
// it.)
var FakeNet = netip.MustParsePrefix("198.51.100.0/24")

// FakeIP returns the n-th address in FakeNet (1 ≤ n ≤ 254).
func FakeIP(n int) string {
	b := FakeNet.Addr().As4()
	b[3] = byte(n)
	return netip.AddrFrom4(b).String()
}

// egress answers the API server's HTTP CONNECT requests on a unix socket
// (the "cluster" egress selection: pods/proxy, pods/log and every other
// connection to a pod or a kubelet) by dialing 127.0.0.1 on the requested
// port when the requested host is in FakeNet. Anything else is refused.
type egress struct {
	ln    net.Listener
	mu    sync.Mutex
	dials []string
	wg    sync.WaitGroup
}

func startEgress(socket string) (*egress, error) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	e := &egress{ln: ln}
	e.wg.Go(e.serve)
	return e, nil
}

func (e *egress) serve() {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		go e.handle(c)
	}
}

func (e *egress) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	target, err := mapAddr(req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 403 Forbidden\r\n\r\n")
		return
	}
	e.mu.Lock()
	e.dials = append(e.dials, req.Host)
	e.mu.Unlock()
	up, err := net.Dial("tcp", target)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); closeWrite(up); done <- struct{}{} }()
	go func() { io.Copy(c, up); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// mapAddr turns FakeNet-host:port into 127.0.0.1:port.
func mapAddr(hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !FakeNet.Contains(a) {
		return "", errors.New("not a fake pod address")
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// Dials returns every host:port the API server asked the egress helper
// to reach, in order.
func (e *egress) Dials() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.dials...)
}

func (e *egress) close() {
	e.ln.Close()
	e.wg.Wait()
}
