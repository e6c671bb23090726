# GoReleaser: the release configuration (.ci/goreleaser.yaml) is checked and
# run as a snapshot release by charts/alertprof/release_test.go. Built from
# the Go module proxy (v2.15.1 is the newest that builds with this Go) and
# cached under $TOOLS_DIR keyed by version. Cold build ~3.5 min, 120 MB.
GORELEASER_VERSION=v2.15.1
goreleaser_bin=$(go_install goreleaser "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" goreleaser)
"$goreleaser_bin" --version >/dev/null 2>&1 || { log "goreleaser at $goreleaser_bin does not run"; exit 1; }
echo "ALERTPROF_GORELEASER=$goreleaser_bin"
