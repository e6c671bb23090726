package exectrace

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/internal/testprog"
)

// BenchmarkTraceSummary summarizes a realistic execution trace of a few
// MB: 5 s of gen/slowpeer serving 200 busy clients whose requests wait
// 5 ms on a TCP peer, fetched from the running program as alertprof
// fetches it. It reports MB/s of trace read.
//
//	go test ./report/exectrace/ -run '^$' -bench BenchmarkTraceSummary -benchtime 10x
func BenchmarkTraceSummary(b *testing.B) {
	bin := testprog.Build(b, "../testdata/gen/slowpeer")
	addr, stop := testprog.Run(b, bin, "pprof ", "-delay", "5ms", "-clients", "200")
	p, err := capture.ProfileFor("trace", capture.Settings{TraceSeconds: 5})
	if err != nil {
		b.Fatal(err)
	}
	target := capture.Target{Address: addr, Scheme: "http", Path: "/debug/pprof"}
	res := capture.NewFetcher(nil, 0, 30*time.Second).Fetch(context.Background(), target, p)
	if res.Err != nil {
		b.Fatal(res.Err)
	}
	stop() // measure on a quiet machine
	data := res.Data
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var s *Summary
	for b.Loop() {
		s, err = Summarize(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/(1<<20), "trace-MB")
	b.ReportMetric(float64(s.Events), "events")
	b.Logf("%d bytes, %d events: %s", len(data), s.Events, s.Headline)
}
