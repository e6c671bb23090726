#!/usr/bin/env bash
# The release's parts that goreleaser does not build itself (it runs this
# as a before hook with the release's version):
#
#   bash .ci/release-extras.sh VERSION [OUT]
#
# - OUT/alertprof-image-VERSION.tar: the multi-platform OCI image (an OCI
#   image layout, tarred; push it with `crane push` or `skopeo copy
#   oci-archive:...`), built by cmd/imagebuild for $IMAGE_PLATFORMS
#   (default linux/amd64,linux/arm64) with VERSION stamped;
# - OUT/alertprof-CHART_VERSION.tgz: the Helm chart, packaged with
#   appVersion VERSION, so its default image tag is this release.
#   CHART_VERSION is Chart.yaml's version unless $CHART_VERSION is set.
#
# OUT defaults to dist-extra. $HELM names the helm binary (default: helm).
# IMAGE_PLATFORMS=none skips the image.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: release-extras.sh VERSION [OUT]}
version=${version#v}
out=${2:-dist-extra}
helm=${HELM:-helm}
platforms=${IMAGE_PLATFORMS:-linux/amd64,linux/arm64}
mkdir -p "$out"
out=$(cd "$out" && pwd)

chart_args=(--app-version "$version" --destination "$out")
if [ -n "${CHART_VERSION:-}" ]; then
  chart_args+=(--version "$CHART_VERSION")
fi
"$helm" package charts/alertprof "${chart_args[@]}" >&2

if [ "$platforms" != none ]; then
  layout=$(mktemp -d)
  trap 'rm -rf "$layout"' EXIT
  go run ./cmd/imagebuild --out "$layout" --version "$version" --platforms "$platforms" >&2
  # A reproducible tar of the layout: sorted names, no owners, fixed times.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -C "$layout" -cf "$out/alertprof-image-$version.tar" .
fi
ls -1 "$out" >&2
