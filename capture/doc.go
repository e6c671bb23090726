// Package capture finds the process behind an alert and takes pprof
// snapshots from it: target resolution (Kubernetes pods through client-go,
// or static addresses inside allowed CIDRs), concurrent profile fetching
// with deadlines and byte caps, and the artifact stores (local, S3/MinIO
// with a spool) that keep the raw bytes exactly as fetched.
package capture
