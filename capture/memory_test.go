package capture

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memLimitChildEnv makes this test binary print the memory limit its Go
// runtime read from GOMEMLIMIT and exit: the runtime is the oracle for
// ParseGoMemLimit.
const memLimitChildEnv = "ALERTPROF_TEST_PRINT_MEMLIMIT"

func init() {
	if os.Getenv(memLimitChildEnv) == "1" {
		fmt.Println(debug.SetMemoryLimit(-1))
		os.Exit(0)
	}
}

// TestParseGoMemLimit checks each value against what a real Go runtime
// makes of it: the limit it reads, or its refusal to start.
func TestParseGoMemLimit(t *testing.T) {
	cases := []struct {
		in   string
		want int64 // -1: malformed
	}{
		{"", math.MaxInt64},
		{"off", math.MaxInt64},
		{"0", 0},
		{"1", 1},
		{"536870912", 512 << 20},
		{"512B", 512},
		{"1KiB", 1 << 10},
		{"460MiB", 460 << 20},
		{"+5MiB", 5 << 20},
		{"2GiB", 2 << 30},
		{"1TiB", 1 << 40},
		{"8388607TiB", 8388607 << 40},
		{"8388608TiB", -1}, // overflows int64
		{"512MB", -1},
		{"512Mi", -1},
		{"1.5GiB", -1},
		{"-1", -1},
		{"MiB", -1},
		{"B", -1},
		{"iB", -1},
		{"1iB", -1},
		{"1 GiB", -1},
		{"1kiB", -1},
		{"1PiB", -1},
		{"Off", -1},
		{"off ", -1},
	}
	for _, c := range cases {
		t.Run(strconv.Quote(c.in), func(t *testing.T) {
			got, err := ParseGoMemLimit(c.in)
			switch {
			case c.want < 0 && err == nil:
				t.Errorf("ParseGoMemLimit(%q) = %d, want an error", c.in, got)
			case c.want < 0 && !strings.Contains(err.Error(), strconv.Quote(c.in)):
				t.Errorf("error %q does not quote the value", err)
			case c.want >= 0 && (err != nil || got != c.want):
				t.Errorf("ParseGoMemLimit(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			// The runtime agrees.
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), memLimitChildEnv+"=1", "GOMEMLIMIT="+c.in)
			out, runErr := cmd.CombinedOutput()
			if c.want < 0 {
				if runErr == nil || !bytes.Contains(out, []byte("malformed GOMEMLIMIT")) {
					t.Errorf("the Go runtime accepted GOMEMLIMIT=%q: %v %s", c.in, runErr, out)
				}
				return
			}
			if runErr != nil || strings.TrimSpace(string(out)) != strconv.FormatInt(c.want, 10) {
				t.Errorf("the Go runtime read GOMEMLIMIT=%q as %q (%v), want %d", c.in, out, runErr, c.want)
			}
		})
	}
}

// TestFetchMemStats fetches heap?debug=1 from a real net/http/pprof
// handler, and refuses a body that is not a heap profile in text form.
func TestFetchMemStats(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := NewFetcher(nil, 0, 30*time.Second)
	p := mustProfile(t, "memstats", 0)
	if p.File() != "memstats.txt" || p.Query() != "debug=1" || p.Endpoint != "heap" {
		t.Fatalf("memstats profile %+v", p)
	}
	res := f.Capture(t.Context(), serverTarget(srv.Listener.Addr().String()), []Profile{p})[0]
	if res.Err != nil || !bytes.HasPrefix(res.Data, []byte("heap profile: ")) || !bytes.Contains(res.Data, []byte("\n# runtime.MemStats\n")) {
		t.Fatalf("memstats fetch: %v\n%.300s", res.Err, res.Data)
	}
	// A goroutine dump where the heap text should be is refused.
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "goroutine 1 [running]:\nmain.main()\n")
	}))
	defer wrong.Close()
	res = f.Capture(t.Context(), serverTarget(wrong.Listener.Addr().String()), []Profile{p})[0]
	wantFetchError(t, res, ReasonNotProfile, "not a heap profile in text form")
}
