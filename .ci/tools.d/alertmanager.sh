# Alertmanager: the webhook sender in the end-to-end tests, and a
# third-party Go process serving /debug/pprof/.
# v0.32+ do not build from the module proxy (their UI assets are missing).
ALERTMANAGER_VERSION=v0.30.0
am=$(go_install alertmanager "github.com/prometheus/alertmanager/cmd/alertmanager@$ALERTMANAGER_VERSION" alertmanager)
"$am" --version >/dev/null 2>&1 || { log "alertmanager at $am does not run"; exit 1; }
echo "ALERTPROF_ALERTMANAGER=$am"
