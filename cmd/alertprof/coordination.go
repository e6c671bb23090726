package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"k8s.io/client-go/rest"

	"github.com/alertprof/alertprof/capture/kube"
	"github.com/alertprof/alertprof/capture/store/spool"
	"github.com/alertprof/alertprof/handler"
)

// The S3 store (through its spool) writes the shared records conditionally.
var _ handler.VersionedStore = (*spool.Store)(nil)

// newCoordinator builds what replicas share their work through when
// coordination is enabled: Leases in the Kubernetes API, and the
// conditional writes of the S3 store. Nil, nil when it is not.
// The Leases have a client of their own, so that their renewals never
// wait behind pod lookups in one client's rate limit.
func newCoordinator(cfg Config, kubeCfg *rest.Config, st builtStore, getenv func(string) string, log *slog.Logger) (handler.Coordinator, handler.VersionedStore, error) {
	co := cfg.Coordination
	if !co.Enabled {
		return nil, nil, nil
	}
	if kubeCfg == nil {
		return nil, nil, errors.New("coordination: the Kubernetes API is needed for Leases, and capture.mode auto found no kubeconfig and no service account")
	}
	client, err := kube.NewClient(rest.CopyConfig(kubeCfg))
	if err != nil {
		return nil, nil, fmt.Errorf("coordination: %w", err)
	}
	shared, ok := st.store.(handler.VersionedStore)
	if !ok {
		return nil, nil, errors.New("coordination: the artifact store does not write conditionally (store.s3 is needed)")
	}
	ns := co.Namespace
	if ns == "" {
		ns = getenv("POD_NAMESPACE")
	}
	if ns == "" {
		return nil, nil, errors.New("coordination: set coordination.namespace or $POD_NAMESPACE: the namespace that holds the Leases")
	}
	id := co.Identity
	if id == "" {
		id = getenv("POD_NAME")
	}
	if id == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return nil, nil, fmt.Errorf("coordination: set coordination.identity: no $POD_NAME and no host name: %w", err)
		}
		id = host
	}
	log.Info("sharing the work with other replicas through Leases", "namespace", ns, "identity", id,
		"lease_duration", co.LeaseDuration.String(), "sweep_interval", co.SweepInterval.String())
	return kube.NewLeases(client, ns, id, co.LeaseDuration), shared, nil
}
