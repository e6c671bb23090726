package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	runtimepprof "runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/alertprof/alertprof/report/pprof"
	"github.com/alertprof/alertprof/report/pproftest"
)

// baseSink keeps what baseWork allocates alive.
var baseSink [][]byte

// baseWork makes the test process's profiles of every kind change: it
// allocates and keeps memory, burns CPU, starts goroutines that stay
// parked until stop, and has goroutines wait on a channel and a mutex.
func baseWork(stop chan struct{}, round int) {
	for range 200 * round {
		baseSink = append(baseSink, make([]byte, 16<<10))
	}
	x := 0
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		for i := range 10_000 {
			x ^= i * round
		}
	}
	_ = x
	for range 20 * round {
		go func() { <-stop }()
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan int)
	for range 4 {
		wg.Go(func() {
			for range 50 * round {
				mu.Lock()
				time.Sleep(50 * time.Microsecond)
				mu.Unlock()
			}
			ch <- 1
		})
	}
	for range 4 {
		time.Sleep(time.Millisecond)
		<-ch
	}
	wg.Wait()
}

// writeProfiles writes the test process's profiles of every kind to dir
// with the given suffix, the CPU profile over one round of baseWork.
func writeProfiles(t *testing.T, dir, suffix string, stop chan struct{}, round int) map[string]string {
	t.Helper()
	paths := make(map[string]string)
	path := func(kind string) string {
		paths[kind] = filepath.Join(dir, kind+suffix+".pb.gz")
		return paths[kind]
	}
	var cpu bytes.Buffer
	if err := runtimepprof.StartCPUProfile(&cpu); err != nil {
		t.Fatal(err)
	}
	baseWork(stop, round)
	runtimepprof.StopCPUProfile()
	if err := os.WriteFile(path("cpu"), cpu.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	for _, kind := range []string{"heap", "allocs", "goroutine", "block", "mutex"} {
		var b bytes.Buffer
		if err := runtimepprof.Lookup(kind).WriteTo(&b, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path(kind), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestAnalyzeBaseEveryKind: --base works for every kind of pprof profile
// (heap, cpu, goroutine, block, mutex, allocs): two profiles of this test
// process, before and after more work, and the growth analyze reports
// equals go tool pprof -base's, row for row. (Goroutine dumps as text:
// TestAnalyzeBaseGoroutineDump.)
func TestAnalyzeBaseEveryKind(t *testing.T) {
	defer runtime.SetBlockProfileRate(0)
	defer runtime.SetMutexProfileFraction(runtime.SetMutexProfileFraction(1))
	runtime.SetBlockProfileRate(1)
	stop := make(chan struct{})
	defer close(stop)
	dir := t.TempDir()
	base := writeProfiles(t, dir, "-base", stop, 1)
	cur := writeProfiles(t, dir, "", stop, 3)
	for _, kind := range []string{"heap", "cpu", "goroutine", "block", "mutex", "allocs"} {
		t.Run(kind, func(t *testing.T) {
			out, err := exec.Command(binary, "analyze", "--format", "json", "--top", "8", "--base", base[kind], cur[kind]).Output()
			if err != nil {
				t.Fatalf("analyze: %v", err)
			}
			var got pprof.Summary
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, out)
			}
			want := pproftest.RunTop(t, cur[kind], got.SampleType, got.Unit, 8, "-base="+base[kind])
			if got.Kind != kind {
				t.Errorf("kind %q, want %q", got.Kind, kind)
			}
			if !got.Diff || got.Total != want.Total || len(got.Rows) != len(want.Rows) || len(got.Rows) == 0 {
				t.Fatalf("%s %s: diff %t total %d rows %d; pprof: total %d rows %d", got.Kind, got.SampleType, got.Diff, got.Total, len(got.Rows), want.Total, len(want.Rows))
			}
			for i, w := range want.Rows {
				if g := got.Rows[i]; g.Function != w.Function || g.Flat != w.Flat || g.Cum != w.Cum {
					t.Errorf("row %d: %s flat=%d cum=%d; pprof: %q", i, g.Function, g.Flat, g.Cum, w.Line)
				}
			}
			if got.Headline == nil {
				t.Errorf("%s growth has no headline", kind)
			}
		})
	}
}
