// Command hostile serves the answers of broken or compromised pprof
// targets, one loopback port per kind, for the integration test that
// holds `alertprof serve` to its memory limits (TestHostileTargets). It
// is a test program, built by that test; it is not part of alertprof.
//
// Every path of a port answers the same way:
//
//	bomb     gzip that inflates to 1 GiB of zeros (about 1 MB on the wire)
//	endless  a binary body that never ends
//	drip     one byte a second
//	large    a valid pprof profile that is 20 MB once decompressed
//	garbage  bytes that are not a protocol buffer
//	nested   gzip of gzip of 1 GiB of zeros
//	normal   net/http/pprof, a well-behaved target
//	near1…4  a valid pprof profile of about 9 MB decompressed, under the
//	         receiver's default cap: four at once need more memory to
//	         analyse than its budget holds
//
// It prints "listening KIND ADDR" for each and exits when stdin closes.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/google/pprof/profile"
)

func main() {
	bomb := gzipOf(zeros(1 << 30))
	answers := []struct {
		kind string
		h    http.Handler
	}{
		{"bomb", bytesHandler(bomb)},
		{"endless", http.HandlerFunc(endless)},
		{"drip", http.HandlerFunc(drip)},
		{"large", bytesHandler(largeProfile(20 << 20))},
		{"garbage", bytesHandler([]byte{0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x12, 0x80})},
		{"nested", bytesHandler(gzipOf(bytes.NewReader(bomb)))},
		{"normal", normal()},
	}
	near := bytesHandler(largeProfile(9 << 20))
	for i := 1; i <= 4; i++ {
		answers = append(answers, struct {
			kind string
			h    http.Handler
		}{fmt.Sprintf("near%d", i), near})
	}
	for _, a := range answers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go func() { _ = http.Serve(ln, a.h) }()
		fmt.Printf("listening %s %s\n", a.kind, ln.Addr())
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func normal() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	return mux
}

func bytesHandler(b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	})
}

// endless writes binary chunks until the client goes away.
func endless(w http.ResponseWriter, _ *http.Request) {
	chunk := bytes.Repeat([]byte{0x08, 0x96, 0x01, 0x10}, 16<<10)
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// drip writes one byte a second until the client goes away.
func drip(w http.ResponseWriter, _ *http.Request) {
	rc := http.NewResponseController(w)
	for {
		if _, err := w.Write([]byte{0x08}); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		time.Sleep(time.Second)
	}
}

// zeros is a reader of n zero bytes.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gzipOf(r io.Reader) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := io.Copy(zw, r); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// largeProfile is a valid heap profile of at least n bytes uncompressed:
// many functions with long distinct names, one sample each.
func largeProfile(n int) []byte {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
	}
	pad := bytes.Repeat([]byte("x"), 120)
	for i := 0; i*200 < n; i++ {
		fn := &profile.Function{ID: uint64(i + 1), Name: fmt.Sprintf("example.com/big/pkg%d.Func%d_%s", i%500, i, pad)}
		loc := &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: fn, Line: int64(i)}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{int64(1024 + i)}})
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}
