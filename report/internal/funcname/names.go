// Package funcname reads Go function names as pprof prints them: their
// package, whether they are the user's code, and their short form.
package funcname

import "strings"

// Package returns the import path of the package a pprof function name
// belongs to ("encoding/json" for "encoding/json.(*decodeState).object"),
// or "" for names that are not Go functions ("[binary]", "memcpy").
func Package(name string) string {
	if name == "" || name[0] == '[' || name[0] == '<' {
		return ""
	}
	slash := strings.LastIndexByte(name, '/')
	// A slash inside generic brackets is not part of the path.
	if br := strings.IndexByte(name, '['); br >= 0 && br < slash {
		slash = strings.LastIndexByte(name[:br], '/')
	}
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return name[:slash+1+dot]
}

// IsUser reports whether name is a function of the program being
// profiled, rather than of the Go runtime, the standard library or the
// Go project's golang.org/x modules. Standard packages are those whose
// path's first element has no dot; "main" is the user's.
func IsUser(name string) bool {
	pkg := Package(name)
	if pkg == "" {
		return false
	}
	if pkg == "main" || strings.HasPrefix(pkg, "main.") {
		return true
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return false
	}
	return !strings.HasPrefix(pkg, "golang.org/x/")
}

// Short drops the directories of a function's package path, keeping the
// package name: "github.com/acme/cache.(*LRU).Add" becomes "cache.(*LRU).Add".
// Names that are not Go functions are returned unchanged.
func Short(name string) string {
	pkg := Package(name)
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// ShortAll maps each of names to its short name, unless two different
// names would share a short name; those keep their full names, so that a
// short name is never ambiguous within one report.
func ShortAll(names []string) map[string]string {
	owners := make(map[string]string, len(names))
	clash := make(map[string]bool)
	for _, n := range names {
		s := Short(n)
		if o, ok := owners[s]; ok && o != n {
			clash[s] = true
		}
		owners[s] = n
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		s := Short(n)
		if clash[s] {
			s = n
		}
		out[n] = s
	}
	return out
}
