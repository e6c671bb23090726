// Package exectrace streams a Go execution trace (/debug/pprof/trace,
// read with golang.org/x/exp/trace) and splits goroutine time by state,
// naming the callers that waited longest on the network and on
// synchronisation; it renders the summary as text.
package exectrace
