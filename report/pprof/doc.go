// Package pprof summarizes one pprof profile into the tables and the
// headline a person reads in seconds.
//
// Summarize reduces one pprof profile to a top-N table of functions that
// matches what `go tool pprof -top -nodecount=N` prints: the same functions,
// in the same order, with the same flat and cumulative values. The pprof
// rules it reproduces are:
//
//   - Sample type: Options.SampleIndex if set, else the profile's
//     DefaultSampleType, else the last sample type.
//   - Frames the profile asks to drop (Profile.DropFrames and KeepFrames,
//     set by some legacy profiles) are pruned first, as pprof does on load.
//   - Granularity is "functions": inlined frames are expanded, each becoming
//     its own function; addresses, files and line numbers are ignored. A
//     frame without a function name is shown as "[binary]" (the base name of
//     its mapping's file) or "<unknown>".
//   - Flat is the value of samples whose innermost frame is the function;
//     cum is the value of samples with the function anywhere on the stack,
//     counted once per sample even under recursion.
//   - Functions whose |cum| is below 0.5% of the summed flat values are
//     dropped before the top N is taken (Summary.Dropped counts them).
//   - Rows are ordered by |flat| descending, then name ascending, then |cum|
//     descending.
//   - Total is the sum of |value| over all samples; percentages are of it.
//
// On top of the table: Summary.Headline blames the heaviest flat function
// and the innermost user function above it (runtime and standard-library
// frames never hide the user's code); Summary.CumRows is the -top -cum
// table; Analyze summarizes every telling sample type of a profile; Diff
// reproduces `go tool pprof -base`; WriteSummary renders a summary as text.
//
// AnalyzeData and SummarizeData give the same results from a profile's
// bytes without building the profile: they read its tables, then stream
// its samples (see capture/format/pprofwire), so that their memory is that
// of the tables and of one aggregate per function, whatever the number of
// samples. DiffData is Diff from the two profiles' bytes: it merges their
// tables as pprof does and keeps, per distinct merged sample, a hash of
// its key and its values.
package pprof
