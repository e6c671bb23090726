package kube

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture"
)

// Capturer captures Kubernetes targets: directly from the pod IP, or,
// for a target with Proxy set, through the API server's pods/proxy
// subresource. Either way the only address fetched is a resolved pod's.
type Capturer struct {
	direct *capture.Fetcher
	proxy  *capture.Fetcher
	api    rest.Interface
}

// NewCapturer returns a capturer that fetches direct targets with
// direct and proxied ones with proxy, whose client must carry the API
// server's credentials (see NewProxyFetcher). api, usually
// clientset.CoreV1().RESTClient(), builds the pods/proxy URLs. proxy and
// api may be nil when every target is direct.
func NewCapturer(direct, proxy *capture.Fetcher, api rest.Interface) *Capturer {
	return &Capturer{direct: direct, proxy: proxy, api: api}
}

// NewProxyFetcher returns a capture.Fetcher that talks to the API server
// with cfg's credentials. The client has no overall timeout (each fetch
// sets its own deadline, and a CPU profile takes its window) and follows
// no redirects.
func NewProxyFetcher(cfg *rest.Config, maxBytes int64, timeout time.Duration) (*capture.Fetcher, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = 0
	hc, err := rest.HTTPClientFor(c)
	if err != nil {
		return nil, err
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return capture.NewFetcher(hc, maxBytes, timeout), nil
}

// Capture fetches every profile of plan from t; see capture.Fetcher.Capture.
func (c *Capturer) Capture(ctx context.Context, t capture.Target, plan []capture.Profile) []capture.Result {
	if !t.Proxy {
		return c.direct.Capture(ctx, t, plan)
	}
	pt, err := c.proxyTarget(t)
	if err != nil {
		out := make([]capture.Result, len(plan))
		for i, p := range plan {
			out[i] = capture.Result{Profile: p, Err: &capture.FetchError{Profile: p.Name, Reason: capture.ReasonConnect, Detail: "cannot build the pods/proxy request", Err: err}}
		}
		return out
	}
	res := c.proxy.Capture(ctx, pt, plan)
	for _, r := range res {
		var fe *capture.FetchError
		if errors.As(r.Err, &fe) {
			fe.Detail = "through the API server's pods/proxy: " + fe.Detail
		}
	}
	return res
}

// proxyTarget rewrites t to the API server's
// /api/v1/namespaces/NS/pods/[https:]POD:PORT/proxy/PATH.
func (c *Capturer) proxyTarget(t capture.Target) (capture.Target, error) {
	if c.proxy == nil || c.api == nil {
		return capture.Target{}, errors.New("proxy fetching is not configured")
	}
	_, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		return capture.Target{}, err
	}
	name := t.Pod + ":" + port
	if t.Scheme == "https" {
		name = "https:" + name
	}
	u := c.api.Get().Namespace(t.Namespace).Resource("pods").SubResource("proxy").Name(name).URL()
	pt := t
	pt.Address, pt.Scheme = u.Host, u.Scheme
	pt.Path = strings.TrimRight(u.Path, "/") + "/" + strings.TrimLeft(t.Path, "/")
	return pt, nil
}
