# Helm: renders and lints charts/alertprof in the charts/ tests
# (go test -tags integration ./charts/...). Built from the Go module proxy
# (plugin installs fail here, so none are used) and cached under $TOOLS_DIR
# keyed by version. Cold build ~5 min.
HELM_VERSION=v3.22.0
helm_bin=$(go_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" helm)
"$helm_bin" version --short >/dev/null 2>&1 || { log "helm at $helm_bin does not run"; exit 1; }
echo "ALERTPROF_HELM=$helm_bin"

# prometheus-operator's CRDs (ServiceMonitor, PrometheusRule,
# AlertmanagerConfig), which the chart's dry-run test installs first. They
# ship inside its Go module; download it from a scratch directory so the
# project's go.mod plays no part (the module cache keys it by version).
PROMOP_VERSION=v0.85.0
promop_dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMOP_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
promop_crds="$promop_dir/example/prometheus-operator-crd"
[ -f "$promop_crds/monitoring.coreos.com_servicemonitors.yaml" ] || { log "no prometheus-operator CRDs at $promop_crds"; exit 1; }
echo "ALERTPROF_PROMOP_CRDS=$promop_crds"
