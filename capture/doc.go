// Package capture finds the process behind an alert and takes pprof snapshots
// from it: target resolution (static addresses now, Kubernetes pods later),
// concurrent profile fetching with deadlines and byte caps, and the artifact
// stores that keep the raw bytes exactly as fetched.
package capture
