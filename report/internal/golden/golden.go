// Package golden compares rendered output with golden files in a test's
// testdata directory; `go test -update` rewrites them.
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Compare compares got with the file named golden, rewriting the file
// first under -update.
func Compare(t testing.TB, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// Update reports whether the test run rewrites its golden files
// (go test -update), for files that Compare cannot compare byte by byte.
func Update() bool { return *update }
