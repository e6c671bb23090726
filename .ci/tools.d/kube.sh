# etcd and kube-apiserver: the real Kubernetes control plane the
# capture/ integration tests (go test -tags integration) run against.
# Neither can be built with a plain "go install" (replace directives), so
# each is built in a throwaway module in a temporary directory, from the
# Go module proxy only, and cached under $TOOLS_DIR keyed by version.
# kube-apiserver's minor matches the client-go in go.mod (v0.34.x).
# Cold build: etcd ~1 min, kube-apiserver ~7 min on 2 cores.
KUBE_ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.34.4

# kube_build_etcd DIR: builds etcd VERSION into DIR/etcd.
kube_build_etcd() {
  local dir=$1 work
  work=$(mktemp -d)
  log "building etcd $KUBE_ETCD_VERSION (first run only, ~1 min)"
  (
    cd "$work"
    cat >go.mod <<EOF
module alertprof.local/etcdbuild

go 1.24

require (
	go.etcd.io/etcd/api/v3 $KUBE_ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $KUBE_ETCD_VERSION
	go.etcd.io/etcd/client/v3 $KUBE_ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $KUBE_ETCD_VERSION
	go.etcd.io/etcd/server/v3 $KUBE_ETCD_VERSION
)
EOF
    # A blank import keeps the module graph complete for "go build".
    cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$dir/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  ) || return 1
  mv "$dir/etcd.tmp" "$dir/etcd"
  rm -rf "$work"
}

# kube_build_apiserver DIR: builds kube-apiserver VERSION into DIR.
# k8s.io/kubernetes replaces its staging modules with ./staging/...; the
# throwaway module replaces each one it requires with the published
# k8s.io/<m> v0.<minor>.<patch> instead, and copies its godebug line.
kube_build_apiserver() {
  local dir=$1 work gomod staging
  work=$(mktemp -d)
  staging="v0.${KUBE_VERSION#v1.}"
  log "building kube-apiserver $KUBE_VERSION (first run only, ~7 min)"
  (
    cd "$work"
    printf 'module alertprof.local/kubebuild\n\ngo 1.24\n' >go.mod
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }
    {
      grep '^godebug' "$gomod" || true
      printf 'require k8s.io/kubernetes %s\n' "$KUBE_VERSION"
      # Only staging modules that k8s.io/kubernetes requires are needed;
      # some replaced ones (sample-controller, ...) are never published.
      awk '/=> \.\/staging\// {print $1}' "$gomod" | while read -r m; do
        if grep -Eq "^[[:space:]]+$m v0\.0\.0" "$gomod"; then
          printf 'replace %s => %s %s\n' "$m" "$m" "$staging"
        fi
      done
    } >>go.mod
    cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
  ) || return 1
  mv "$dir/kube-apiserver.tmp" "$dir/kube-apiserver"
  rm -rf "$work"
}

kube_etcd_dir="$TOOLS_DIR/etcd-$KUBE_ETCD_VERSION"
kube_apiserver_dir="$TOOLS_DIR/kube-apiserver-$KUBE_VERSION"
mkdir -p "$kube_etcd_dir" "$kube_apiserver_dir"
if [ ! -x "$kube_etcd_dir/etcd" ]; then
  kube_build_etcd "$kube_etcd_dir" || { log "etcd $KUBE_ETCD_VERSION build failed"; exit 1; }
fi
if [ ! -x "$kube_apiserver_dir/kube-apiserver" ]; then
  kube_build_apiserver "$kube_apiserver_dir" || { log "kube-apiserver $KUBE_VERSION build failed"; exit 1; }
fi
# No ETCD_* variable is set here: etcd reads every one as a flag.
"$kube_etcd_dir/etcd" --version >/dev/null 2>&1 || { log "etcd at $kube_etcd_dir does not run"; exit 1; }
"$kube_apiserver_dir/kube-apiserver" --version >/dev/null 2>&1 || { log "kube-apiserver at $kube_apiserver_dir does not run"; exit 1; }
echo "ALERTPROF_ETCD=$kube_etcd_dir/etcd"
echo "ALERTPROF_KUBE_APISERVER=$kube_apiserver_dir/kube-apiserver"
