#!/usr/bin/env bash
# The test command: installs every tool the tests need, then runs all the
# tests, the real-component integration tests included.
#
#   bash .ci/test.sh
#
# FUZZTIME (default 30s) bounds each fuzz target's run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "formatting and vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go vet -tags integration ./...

step "installing test tools"
while IFS='=' read -r name path; do
  export "$name=$path"
  echo "$name=$path"
done < <(bash .ci/tools.sh)

race=()
if [ "$(go env CGO_ENABLED)" = 1 ] && command -v "$(go env CC)" >/dev/null 2>&1; then
  race=(-race)
fi

step "tests (unit and integration${race:+, race detector})"
go test "${race[@]}" -tags integration -count=1 -timeout 30m ./...

step "fuzzing (${FUZZTIME:-30s} per target)"
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-30s}" "$1"; }
fuzz ./handler/ FuzzDecodeMessage
fuzz ./report/pprof/ FuzzSummarize
fuzz ./report/pprof/ FuzzStreamMatchesParsed
fuzz ./report/pprof/ FuzzDiffMatchesParsed
fuzz ./report/slack/ FuzzAnalyze
fuzz ./report/ FuzzFetchAndAnalyse
fuzz ./report/goroutines/ FuzzParse
fuzz ./report/memory/ FuzzParseMemStats
fuzz ./report/exectrace/ FuzzSummarize
fuzz ./capture/ FuzzSanitizeKeyPart
fuzz ./capture/store/ FuzzLocalArtifactKey

step "all tests passed"
