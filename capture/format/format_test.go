package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"runtime/pprof"
	"strings"
	"testing"
)

// realProfile is a heap profile of this test process, as pprof writes it.
func realProfile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&b, 0); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	dump     = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n"
	heapText = "heap profile: 3: 1024 [9: 4096] @ heap/1048576\n"
	trace    = "go 1.26 trace\x00\x00\x00\x01\x02"
)

func TestForEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		debug    int
		want     Format
		ext      string
	}{
		{"heap", 0, Profile, ".pb.gz"},
		{"profile", 0, Profile, ".pb.gz"},
		{"goroutine", 0, Profile, ".pb.gz"},
		{"goroutine", 2, Goroutines, ".txt"},
		{"heap", 1, HeapText, ".txt"},
		{"allocs", 1, HeapText, ".txt"},
		{"trace", 0, Trace, ".out"},
	}
	for _, tc := range tests {
		got := ForEndpoint(tc.endpoint, tc.debug)
		if got != tc.want || got.Ext() != tc.ext {
			t.Errorf("ForEndpoint(%q, %d) = %q (%q), want %q (%q)", tc.endpoint, tc.debug, got, got.Ext(), tc.want, tc.ext)
		}
	}
}

func TestDetect(t *testing.T) {
	prof := realProfile(t)
	tests := []struct {
		name string
		data []byte
		want Format
	}{
		{"real heap profile", prof, Profile},
		{"goroutine dump", []byte(dump), Goroutines},
		{"goroutine dump after blank lines", []byte("\n\n" + dump), Goroutines},
		{"gzipped goroutine dump", gz(t, dump), Goroutines},
		{"heap text", []byte(heapText), HeapText},
		{"gzipped heap text", gz(t, heapText), HeapText},
		{"execution trace", []byte(trace), Trace},
		{"gzipped other text", gz(t, "hello"), Profile},
		{"plain text", []byte("ok\n"), Unknown},
		{"html", []byte("<html><body>x</body></html>"), Unknown},
		{"empty", nil, Unknown},
		{"trace-like text without the header", []byte("go 1.26 is out"), Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect(tc.data); got != tc.want {
				t.Errorf("Detect = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	prof := realProfile(t)
	tests := []struct {
		name    string
		want    Format
		data    []byte
		html    bool
		message string // "" means no error
	}{
		{name: "profile", want: Profile, data: prof},
		{name: "dump", want: Goroutines, data: []byte(dump)},
		{name: "heap text", want: HeapText, data: []byte(heapText)},
		{name: "trace", want: Trace, data: []byte(trace)},
		{name: "html for a profile", want: Profile, data: []byte("<!DOCTYPE html><title>Login</title>"), html: true, message: "HTML"},
		{name: "text for a profile", want: Profile, data: []byte("ok\n"), message: "not a valid profile"},
		{name: "empty for a profile", want: Profile, message: "not a valid profile"},
		{name: "dump for a profile", want: Profile, data: []byte(dump), message: "not a valid profile"},
		{name: "profile for a dump", want: Goroutines, data: prof, message: "not a goroutine dump"},
		{name: "dump for heap text", want: HeapText, data: []byte(dump), message: "not a heap profile in text form"},
		{name: "gzipped dump for a dump", want: Goroutines, data: gz(t, dump), message: "not a goroutine dump"},
		{name: "profile for a trace", want: Trace, data: prof, message: `no "go 1.N trace" header`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.want, tc.data)
			if tc.message == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("Check error = %v, want one containing %q", err, tc.message)
			}
			if errors.Is(err, ErrHTML) != tc.html {
				t.Errorf("errors.Is(err, ErrHTML) = %v, want %v", !tc.html, tc.html)
			}
			var me *MismatchError
			if !tc.html && (!errors.As(err, &me) || me.Want != tc.want) {
				t.Errorf("error %v is not a *MismatchError for %q", err, tc.want)
			}
		})
	}
}

func TestLooksLikeHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "doctype", in: "<!DOCTYPE html><html></html>", want: true},
		{name: "html tag after whitespace", in: "\n\n   <html lang=en>", want: true},
		{name: "upper case", in: "<HTML>", want: true},
		{name: "body tag after a comment", in: "<!-- proxy --><head></head><body>", want: true},
		{name: "empty", in: "", want: false},
		{name: "gzip magic", in: "\x1f\x8b\x08\x00\x00\x00", want: false},
		{name: "plain text", in: "goroutine profile: total 4", want: false},
		{name: "body tag too far in", in: strings.Repeat("x", 300) + "<body>", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeHTML([]byte(tc.in)); got != tc.want {
				t.Errorf("LooksLikeHTML(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestOfKey(t *testing.T) {
	for key, want := range map[string]Format{
		"incidents/2026/11/30/x/ns/pod/heap.pb.gz":  Profile,
		"incidents/2026/11/30/x/ns/pod/trace.out":   Trace,
		"incidents/2026/11/30/x/ns/pod/summary.txt": Unknown,
		"incidents/2026/11/30/x/incident.json":      Unknown,
	} {
		if got := OfKey(key); got != want {
			t.Errorf("OfKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestParseProfileRecoversAndWraps(t *testing.T) {
	if _, err := ParseProfile(realProfile(t)); err != nil {
		t.Fatalf("real profile: %v", err)
	}
	// A length-delimited field whose length runs past the end, and a
	// truncated gzip stream: both must be errors, never panics.
	for name, data := range map[string][]byte{
		"garbage protobuf": {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01},
		"truncated gzip":   gz(t, "x")[:8],
	} {
		if _, err := ParseProfile(data); err == nil || !strings.HasPrefix(err.Error(), "parse profile") {
			t.Errorf("%s: err = %v, want a parse profile error", name, err)
		}
	}
}

func TestTextReader(t *testing.T) {
	for name, data := range map[string][]byte{"plain": []byte(dump), "gzipped": gz(t, dump)} {
		r, err := TextReader(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil || b.String() != dump {
			t.Errorf("%s: read %q, %v", name, b.String(), err)
		}
	}
}

// bomb is gzip of n zero bytes: a few kilobytes that inflate to n.
func bomb(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zero))
		if _, err := zw.Write(zero[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseProfileMaxStopsAtTheDecodedCap(t *testing.T) {
	b := bomb(t, 64<<20)
	if len(b) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed; want a small one", len(b))
	}
	_, err := ParseProfileMax(b, 8<<20)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("64 MiB bomb under an 8 MiB cap: err = %v, want ErrTooLarge", err)
	}
	// The uncompressed form is held to the same cap.
	if _, err := ParseProfileMax(make([]byte, 9<<20), 8<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("9 MiB raw under an 8 MiB cap: err = %v, want ErrTooLarge", err)
	}
	// A real profile well under the cap still parses.
	prof := realProfile(t)
	if _, err := ParseProfileMax(prof, 8<<20); err != nil {
		t.Fatalf("real profile: %v", err)
	}
}
