# Gateway API's standard CRDs (HTTPRoute among them), which the chart's
# dry-run test installs before applying the chart's HTTPRoute. They ship
# inside the sigs.k8s.io/gateway-api Go module; download it from a scratch
# directory so the project's go.mod plays no part (the module cache keys
# it by version).
GATEWAY_API_VERSION=v1.4.1
gwapi_dir=$(cd "$(mktemp -d)" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
gwapi_crds="$gwapi_dir/config/crd/standard"
[ -f "$gwapi_crds/gateway.networking.k8s.io_httproutes.yaml" ] || { log "no Gateway API CRDs at $gwapi_crds"; exit 1; }
echo "ALERTPROF_GATEWAY_CRDS=$gwapi_crds"
