#!/usr/bin/env bash
# Installs the real components the tests run against, each built from the
# Go module proxy and cached by version, so a second run is instant.
# Prints one "NAME=PATH" line per tool; test.sh exports them.
set -euo pipefail

TOOLS_DIR=${ALERTPROF_TOOLS_DIR:-$HOME/.cache/alertprof/tools}
ALERTMANAGER_VERSION=v0.30.0 # v0.32+ do not build from the module proxy (UI assets missing)

log() { printf '[tools] %s\n' "$*" >&2; }

# go_install NAME PACKAGE@VERSION BINARY
go_install() {
  local name=$1 pkg=$2 bin=$3
  local dir="$TOOLS_DIR/$name-${pkg##*@}"
  if [ ! -x "$dir/$bin" ]; then
    log "building $pkg (first run only)"
    mkdir -p "$dir"
    # Build in a scratch directory so the project's go.mod plays no part.
    (cd "$(mktemp -d)" && GOBIN="$dir" GOFLAGS=-mod=mod go install "$pkg")
  fi
  echo "$dir/$bin"
}

am=$(go_install alertmanager "github.com/prometheus/alertmanager/cmd/alertmanager@$ALERTMANAGER_VERSION" alertmanager)
"$am" --version >/dev/null 2>&1 || { log "alertmanager at $am does not run"; exit 1; }
echo "ALERTPROF_ALERTMANAGER=$am"
