// Package spool puts artifacts in an object store through a bounded
// on-disk spool: each artifact is written to the spool first, then
// uploaded, and what the store refuses while it is down waits in the spool
// (surviving a restart) until Store.Run uploads it. It counts uploads and
// drops in Prometheus metrics.
package spool
