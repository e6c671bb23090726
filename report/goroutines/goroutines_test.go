package goroutines

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

const sampleDump = `goroutine 1 [running]:
main.main()
	/app/main.go:10 +0x1d

goroutine 7 [chan receive, 17 minutes]:
main.(*Pool).worker(0xc000012345, 0x3)
	/app/pool.go:42 +0x55
created by main.NewPool in goroutine 1
	/app/pool.go:20 +0x99

goroutine 8 [chan receive, 3 minutes, locked to thread]:
main.(*Pool).worker(0xc000012345, 0x4)
	/app/pool.go:42 +0x55
created by main.NewPool in goroutine 1
	/app/pool.go:20 +0x99

goroutine 9 [IO wait labels:{"handler": "orders]"}]:
internal/poll.runtime_pollWait(0x7f, 0x72)
	/go/src/runtime/netpoll.go:351 +0x85
net/http.(*conn).serve(0xc0000a4000, {0x9d3a58, 0xc000090180})
	/go/src/net/http/server.go:2102 +0x625
created by net/http.(*Server).Serve in goroutine 1
	/go/src/net/http/server.go:3454 +0x485
`

func TestParseGoroutines(t *testing.T) {
	g, err := Parse(strings.NewReader(sampleDump))
	if err != nil {
		t.Fatal(err)
	}
	if g.Total != 4 || len(g.Groups) != 3 {
		t.Fatalf("total %d in %d groups, want 4 in 3: %+v", g.Total, len(g.Groups), g.Groups)
	}
	first := g.Groups[0]
	want := Group{Count: 2, State: "chan receive", MaxWait: 17 * time.Minute,
		Top: "main.(*Pool).worker", Stack: []string{"main.(*Pool).worker"}, CreatedBy: "main.NewPool"}
	if fmt.Sprint(first) != fmt.Sprint(want) {
		t.Errorf("largest group\n got %+v\nwant %+v", first, want)
	}
	if first.Wait() != "chan receive, 17 minutes" {
		t.Errorf("Wait() = %q", first.Wait())
	}
	io := g.Groups[2]
	if io.State != "IO wait" || io.Top != "net/http.(*conn).serve" {
		t.Errorf("IO wait group: %+v", io)
	}
	if h := g.Headline(); h != "4 goroutines, 2 (50.00%) in [chan receive, 17 minutes] at main.(*Pool).worker" {
		t.Errorf("headline %q", h)
	}
}

func TestParseGoroutinesRejects(t *testing.T) {
	for _, in := range []string{"", "hello\nworld\n", "goroutine profile: total 3\n"} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

// TestParseGoroutinesBounded feeds more distinct stacks than are kept: the
// groups stop at the limit and the rest are counted, not stored.
func TestParseGoroutinesBounded(t *testing.T) {
	var b bytes.Buffer
	n := maxGroups + 500
	for i := range n {
		fmt.Fprintf(&b, "goroutine %d [select]:\nmain.f%d()\n\t/app/x.go:%d +0x1\n\n", i+1, i, i)
	}
	g, err := Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Total != n || len(g.Groups) != maxGroups || g.Other != 500 {
		t.Errorf("total %d, %d groups, other %d; want %d, %d, 500", g.Total, len(g.Groups), g.Other, n, maxGroups)
	}
}

// TestParseGoroutinesLive parses this process's own dump while goroutines
// wait on a channel.
func TestParseGoroutinesLive(t *testing.T) {
	stop := parkGoroutines(50)
	defer stop()
	var top Group
	// The goroutines may still be on their way to the receive; look again
	// until they are parked.
	for range 200 {
		var b bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&b, 2); err != nil {
			t.Fatal(err)
		}
		g, err := Parse(&b)
		if err != nil {
			t.Fatal(err)
		}
		if top = g.Groups[0]; top.Count == 50 && top.State == "chan receive" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if top.Count != 50 || top.State != "chan receive" || !strings.HasSuffix(top.Top, "parkGoroutines.func1") {
		t.Errorf("largest group %d × [%s] at %s", top.Count, top.State, top.Top)
	}
}

// parkGoroutines starts n goroutines blocked on a channel receive and
// returns a function that releases them and waits until they are gone.
func parkGoroutines(n int) func() {
	ch := make(chan struct{})
	done := make(chan struct{}, n)
	for range n {
		go func() {
			<-ch
			done <- struct{}{}
		}()
	}
	for runtime.NumGoroutine() < n {
		runtime.Gosched()
	}
	return func() {
		close(ch)
		for range n {
			<-done
		}
	}
}

// BenchmarkParseGoroutines100k parses a real dump of 100,000 goroutines
// (this process's own), in a few groups of stacks.
func BenchmarkParseGoroutines100k(b *testing.B) {
	stop := parkGoroutines(100_000)
	var dump bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&dump, 2); err != nil {
		b.Fatal(err)
	}
	stop()
	b.SetBytes(int64(dump.Len()))
	b.ReportAllocs()
	for b.Loop() {
		g, err := Parse(bytes.NewReader(dump.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if g.Total < 100_000 {
			b.Fatalf("%d goroutines", g.Total)
		}
	}
}
