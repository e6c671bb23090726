package pprof

import "strings"

// runtimeSite is the node of a stack without user code (ids innermost
// first) that says what the runtime was doing: the first frame above its
// allocation and stack-switching helpers, so that a goroutine's creation
// is named runtime.malg, not runtime.mallocgc. A stack of helpers only
// gives its outermost frame.
func runtimeSite(ids []int32, names []string) int32 {
	for _, id := range ids {
		if !runtimeHelper(names[id]) {
			return id
		}
	}
	return ids[len(ids)-1]
}

// runtimeHelper reports whether name is one of the runtime's generic
// allocation entry points or stack switches, which every cost passes
// through and which therefore blame nothing.
func runtimeHelper(name string) bool {
	fn, ok := strings.CutPrefix(name, "runtime.")
	if !ok {
		return strings.HasPrefix(name, "internal/runtime/maps.")
	}
	for _, p := range []string{"mallocgc", "newobject", "newarray", "makeslice", "growslice",
		"makemap", "makechan", "mapassign", "rawstring", "rawbyteslice", "rawruneslice",
		"concatstring", "slicebytetostring", "stringtoslice", "convT", "convI", "systemstack", "mcall"} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// goroutineCreation reports whether a runtime site allocates new
// goroutines (their descriptors and stacks).
func goroutineCreation(site string) bool {
	switch site {
	case "runtime.malg", "runtime.newproc1", "runtime.newproc", "runtime.newproc.func1", "runtime.allocm":
		return true
	}
	return false
}
