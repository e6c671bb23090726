package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDecodedSize(t *testing.T) {
	prof := realProfile(t)
	n, err := DecodedSize(prof, 8<<20)
	if err != nil || n == 0 {
		t.Fatalf("real profile: %d, %v", n, err)
	}
	if n, err := DecodedSize([]byte("plain"), 8<<20); n != 5 || err != nil {
		t.Errorf("plain bytes: %d, %v", n, err)
	}
	if _, err := DecodedSize(bomb(t, 64<<20), 8<<20); !errors.Is(err, ErrTooLarge) {
		t.Errorf("64 MiB bomb under an 8 MiB cap: %v, want ErrTooLarge", err)
	}
	if _, err := DecodedSize(gz(t, "x")[:8], 8<<20); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("truncated gzip: %v, want a decompress error", err)
	}
}

func TestParseProfileRefusesNestedGzip(t *testing.T) {
	inner := bomb(t, 1<<20)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(inner); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProfileMax(b.Bytes(), 8<<20); !errors.Is(err, ErrNestedGzip) {
		t.Fatalf("gzip of gzip: %v, want ErrNestedGzip", err)
	}
}

func TestTextReaderMax(t *testing.T) {
	text := strings.Repeat("goroutine 1 [running]:\nmain.main()\n", 1000) // 2000 lines
	tests := []struct {
		name string
		data []byte
		lim  TextLimits
		want error
	}{
		{name: "within the caps", data: []byte(text), lim: TextLimits{MaxBytes: 1 << 20, MaxLines: 2000}},
		{name: "too many lines", data: []byte(text), lim: TextLimits{MaxBytes: 1 << 20, MaxLines: 1999}, want: ErrTooManyLines},
		{name: "too many bytes", data: []byte(text), lim: TextLimits{MaxBytes: 1000, MaxLines: 1 << 20}, want: ErrTooLarge},
		{name: "gzipped, too many bytes once inflated", data: gz(t, text), lim: TextLimits{MaxBytes: 1000, MaxLines: 1 << 20}, want: ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := TextReaderMax(tc.data, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			if tc.want == nil {
				if err != nil || n != int64(len(text)) {
					t.Fatalf("read %d of %d bytes: %v", n, len(text), err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if n > tc.lim.MaxBytes {
				t.Errorf("read %d bytes past the %d-byte cap", n, tc.lim.MaxBytes)
			}
		})
	}
}
