package kube

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ErrNoConfig reports that neither a kubeconfig nor an in-cluster
// service account is available.
var ErrNoConfig = errors.New("no kubeconfig and not running in a cluster")

// ClientOptions set up the Kubernetes client.
type ClientOptions struct {
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG (a path
	// list), then the in-cluster service account. ~/.kube/config is never
	// read implicitly, so a laptop without KUBECONFIG stays in static mode.
	Kubeconfig string
	// Getenv reads KUBECONFIG; nil means no environment.
	Getenv func(string) string
	// QPS and Burst bound the client's request rate (20 and 40);
	// Timeout bounds one API request (10s).
	QPS     float32
	Burst   int
	Timeout time.Duration
	// UserAgent is sent with every request, e.g. "alertprof/1.2.3".
	UserAgent string
}

// RESTConfig loads the client configuration: the kubeconfig named in
// opts or $KUBECONFIG, else the in-cluster config. inCluster says which
// one was used (it decides the auto fetch mode). It returns
// ErrNoConfig when there is neither.
func RESTConfig(opts ClientOptions) (cfg *rest.Config, inCluster bool, err error) {
	path := opts.Kubeconfig
	if path == "" && opts.Getenv != nil {
		path = opts.Getenv("KUBECONFIG")
	}
	switch {
	case path != "":
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(path)}
		if opts.Kubeconfig != "" {
			rules = &clientcmd.ClientConfigLoadingRules{ExplicitPath: opts.Kubeconfig}
		}
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, false, fmt.Errorf("kubeconfig %s: %w", path, err)
		}
	default:
		cfg, err = rest.InClusterConfig()
		if errors.Is(err, rest.ErrNotInCluster) {
			return nil, false, ErrNoConfig
		}
		if err != nil {
			return nil, false, fmt.Errorf("in-cluster config: %w", err)
		}
		inCluster = true
	}
	cfg.QPS, cfg.Burst, cfg.Timeout = opts.QPS, opts.Burst, opts.Timeout
	if cfg.QPS <= 0 {
		cfg.QPS = 20
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 40
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if opts.UserAgent != "" {
		cfg.UserAgent = opts.UserAgent
	}
	return cfg, inCluster, nil
}

// NewClient returns a clientset for cfg.
func NewClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return cs, nil
}

// ResolveFetchMode turns FetchAuto into FetchDirect in-cluster and
// FetchProxy from a kubeconfig; other modes are returned as they are.
func ResolveFetchMode(mode string, inCluster bool) string {
	if mode != FetchAuto && mode != "" {
		return mode
	}
	if inCluster {
		return FetchDirect
	}
	return FetchProxy
}
