package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture/kube"
)

// newKubeFlags are the kubectl flags `alertprof capture` takes:
// --kubeconfig, --context, --cluster, --user, -n/--namespace, --as and
// --as-group, with kubectl's loading rules ($KUBECONFIG, else
// ~/.kube/config). The flags that would put credentials on the command
// line, and --server (capture's own flag names a running alertprof), are
// left out.
func newKubeFlags() *genericclioptions.ConfigFlags {
	f := genericclioptions.NewConfigFlags(false)
	f.APIServer = nil
	f.CacheDir = nil
	f.TLSServerName = nil
	f.CertFile = nil
	f.KeyFile = nil
	f.CAFile = nil
	f.BearerToken = nil
	f.Insecure = nil
	f.Timeout = nil
	f.ImpersonateUID = nil
	f.DisableCompression = nil
	return f
}

// addKubeFlags adds f's flags to cmd, completing --context with the
// kubeconfig's contexts.
func addKubeFlags(cmd *cobra.Command, f *genericclioptions.ConfigFlags) {
	f.AddFlags(cmd.Flags())
	_ = cmd.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		raw, err := f.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for name := range raw.Contexts {
			names = append(names, name)
		}
		slices.Sort(names)
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// kubeFlagsSet reports whether any flag of f was given.
func kubeFlagsSet(f *genericclioptions.ConfigFlags) bool {
	for _, p := range []*string{f.KubeConfig, f.Context, f.ClusterName, f.AuthInfoName, f.Impersonate} {
		if p != nil && *p != "" {
			return true
		}
	}
	return f.ImpersonateGroup != nil && len(*f.ImpersonateGroup) > 0
}

// cliKube is the Kubernetes client configuration the CLI chose.
type cliKube struct {
	rest      *rest.Config
	inCluster bool
	// namespace is -n, else the context's namespace, else "default".
	namespace string
}

// loadCLIKube loads the client configuration as kubectl does: the
// kubeconfig files of --kubeconfig, else $KUBECONFIG, else ~/.kube/config,
// with --context and the other flags over them; with no kubeconfig at
// all, the in-cluster service account. Without either it returns an
// error that wraps kube.ErrNoConfig.
func loadCLIKube(f *genericclioptions.ConfigFlags) (cliKube, error) {
	loader := f.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		return cliKube{}, fmt.Errorf("kubeconfig: %w", err)
	}
	var k cliKube
	if len(raw.Clusters) == 0 && (f.KubeConfig == nil || *f.KubeConfig == "") {
		// No kubeconfig anywhere: the in-cluster service account, as
		// kubectl would take it.
		k.rest, err = rest.InClusterConfig()
		if errors.Is(err, rest.ErrNotInCluster) {
			return cliKube{}, fmt.Errorf("%w: give --kubeconfig, set KUBECONFIG or write ~/.kube/config", kube.ErrNoConfig)
		}
		if err != nil {
			return cliKube{}, fmt.Errorf("in-cluster config: %w", err)
		}
		k.inCluster = true
	} else if k.rest, err = loader.ClientConfig(); err != nil {
		return cliKube{}, fmt.Errorf("kubeconfig: %w", err)
	}
	if k.namespace, _, err = loader.Namespace(); err != nil {
		return cliKube{}, fmt.Errorf("kubeconfig namespace: %w", err)
	}
	return k, nil
}

// kubeRESTConfig is the Kubernetes client configuration of cfg: the one
// the CLI chose (cfg.cliKube), else serve's rule, kube.RESTConfig
// (capture.kubernetes.kubeconfig, $KUBECONFIG, in-cluster). The client
// limits of capture.kubernetes apply to both.
func kubeRESTConfig(cfg Config, getenv func(string) string) (*rest.Config, bool, error) {
	k := cfg.Capture.Kubernetes
	if cfg.cliKube == nil {
		return kube.RESTConfig(kube.ClientOptions{
			Kubeconfig: k.Kubeconfig,
			Getenv:     getenv,
			QPS:        k.QPS,
			Burst:      k.Burst,
			Timeout:    k.Timeout,
			UserAgent:  userAgent(),
		})
	}
	rc := rest.CopyConfig(cfg.cliKube.rest)
	rc.QPS, rc.Burst, rc.Timeout, rc.UserAgent = k.QPS, k.Burst, k.Timeout, userAgent()
	return rc, cfg.cliKube.inCluster, nil
}
