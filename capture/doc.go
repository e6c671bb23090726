// Package capture says what to capture and takes it: what a target is,
// the capture plans by alert kind, concurrent profile fetching with
// deadlines, byte caps and format checks, the static resolver (addresses
// inside allowed CIDRs), artifact keys and metadata, and the plain data a
// resolver attaches to a target (restart context, memory bounds). It
// imports neither client-go nor minio-go: Kubernetes resolution lives in
// capture/kube, the artifact stores in capture/store and its subpackages.
package capture
