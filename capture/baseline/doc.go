// Package baseline keeps, per workload, the latest healthy capture (a heap
// and a goroutine profile taken while no alert fired), in the artifact
// store under baselines/ with a small JSON index, and decides when the
// next one is due. An incident's profiles are compared with it.
package baseline
