#!/usr/bin/env bash
# Prints the -ldflags that stamp alertprof's build information into
# github.com/prometheus/common/version, the Prometheus way:
#
#   go build -ldflags "$(bash .ci/ldflags.sh)" ./cmd/alertprof
#
# VERSION defaults to the newest tag reachable from HEAD (without its "v"),
# else 0.0.0-dev; REVISION, BRANCH, BUILD_USER and BUILD_DATE to what git
# and the clock say. Each can be set to override it (a release job sets
# VERSION from its tag). -s -w drop the symbol tables.
set -euo pipefail
cd "$(dirname "$0")/.."
git_or() { git "$@" 2>/dev/null || true; }
version=${VERSION:-$(git_or describe --tags --abbrev=0 --match 'v[0-9]*')}
version=${version#v}
version=${version:-0.0.0-dev}
revision=${REVISION:-$(git_or rev-parse HEAD)}
branch=${BRANCH:-$(git_or rev-parse --abbrev-ref HEAD)}
user=${BUILD_USER:-$(id -un 2>/dev/null || echo unknown)@$(hostname 2>/dev/null || echo unknown)}
date=${BUILD_DATE:-$(date -u +%Y%m%d-%H:%M:%S)}
pkg=github.com/prometheus/common/version
printf -- '-s -w -X %s.Version=%s -X %s.Revision=%s -X %s.Branch=%s -X %s.BuildUser=%s -X %s.BuildDate=%s\n' \
  "$pkg" "$version" "$pkg" "${revision:-unknown}" "$pkg" "${branch:-unknown}" "$pkg" "$user" "$pkg" "$date"
