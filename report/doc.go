// Package report is alertprof's evidence model and its one analyser.
//
// The model is what the notifiers show: an Incident, its Thread, and for
// each captured pod a PodReport of ProfileReports. Analyze turns a pod's
// fetched artifacts into its PodReport, the same way for an alert's job,
// an on-demand capture and `alertprof analyze`: each artifact's analysis
// (pprof top-N tables and their other telling views, goroutine groups,
// execution trace, runtime memory statistics), the growth between the two
// heap snapshots, the reconciliation of memory with the container's
// limit, and the pod's headline by one rule (Headline). RenderFlame draws
// the profile the headline comes from as a PNG flame graph (report/flame)
// for a capture to store and the notifiers to show. Renderers only render
// a PodReport: WritePod as text (summary.txt, the console), the
// report/slack package as Block Kit.
//
// Each analysis lives in its own subpackage, which never imports this one:
// report/pprof (top-N, -top -cum, -base diff and per-profile headlines),
// report/goroutines, report/exectrace and report/memory.
package report
