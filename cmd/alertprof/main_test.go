package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// binary is alertprof built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv(stormTargetsEnv)); err == nil {
		runStormTargets(n)
		return
	}
	dir, err := os.MkdirTemp("", "alertprof-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "alertprof")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building alertprof:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
