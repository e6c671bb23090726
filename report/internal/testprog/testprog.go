// Package testprog builds and runs the Go programs that tests profile:
// real processes serving net/http/pprof, with known behaviour.
package testprog

import (
	"bufio"
	"bytes"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Build builds the Go program in dir (a path relative to the test's
// package, such as "../testdata/memspike") into the test's temporary
// directory and returns the binary.
func Build(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), path.Base(dir))
	if out, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	return bin
}

// Run runs bin with args, reads the first line it prints and
// returns that line without prefix (the program must print it). The
// program must exit cleanly when its stdin closes: at stop, or when the
// test ends.
func Run(tb testing.TB, bin, prefix string, args ...string) (line string, stop func()) {
	tb.Helper()
	name := filepath.Base(bin)
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stop = sync.OnceFunc(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			tb.Errorf("%s: %v\n%s", name, err, stderr.String())
		}
	})
	tb.Cleanup(stop)
	first, err := bufio.NewReader(stdout).ReadString('\n')
	line, ok := strings.CutPrefix(strings.TrimSpace(first), prefix)
	if err != nil || !ok {
		stop() // stderr is complete once the program has exited
		tb.Fatalf("%s said %q (%v), want a line starting %q\n%s", name, first, err, prefix, stderr.String())
	}
	return line, stop
}
