#!/usr/bin/env bash
# Installs the real components the tests run against, each built from the
# Go module proxy and cached by version under $ALERTPROF_TOOLS_DIR
# (default ~/.cache/alertprof/tools), so a second run is instant.
#
# Each .ci/tools.d/*.sh installs one component and prints "NAME=PATH"
# lines on stdout; test.sh exports them for the tests. Logs go to stderr.
set -euo pipefail
cd "$(dirname "$0")"

export TOOLS_DIR=${ALERTPROF_TOOLS_DIR:-$HOME/.cache/alertprof/tools}
mkdir -p "$TOOLS_DIR"

log() { printf '[tools] %s\n' "$*" >&2; }

# go_install NAME PACKAGE@VERSION BINARY: builds PACKAGE into
# $TOOLS_DIR/NAME-VERSION/ unless it is there already; prints the path.
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

for f in tools.d/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done
