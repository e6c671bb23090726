package pprofwire

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/google/pprof/profile"
)

// TestSizesSplitTheDecodedBytes: on real profiles, gzipped or not, the
// samples and the tables add up to the decoded size (less the fields'
// own tags and lengths), and a profile stripped of its samples has none.
func TestSizesSplitTheDecodedBytes(t *testing.T) {
	for _, file := range fixtures(t) {
		gz, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"gzipped": gz, "raw": raw} {
			samples, tables, err := Sizes(data, 1<<30)
			if err != nil {
				t.Fatalf("%s %s: %v", file, name, err)
			}
			if sum := samples + tables; sum > int64(len(raw)) || sum < int64(len(raw))*8/10 || samples == 0 || tables == 0 {
				t.Errorf("%s %s: samples %d + tables %d of %d decoded bytes", file, name, samples, tables, len(raw))
			}
		}
		p, err := profile.ParseData(gz)
		if err != nil {
			t.Fatal(err)
		}
		p.Sample = nil
		var b bytes.Buffer
		if err := p.WriteUncompressed(&b); err != nil {
			t.Fatal(err)
		}
		if samples, _, err := Sizes(b.Bytes(), 1<<30); err != nil || samples != 0 {
			t.Errorf("%s without samples: %d sample bytes, %v", file, samples, err)
		}
	}
	if _, _, err := Sizes(nil, 1<<30); err == nil {
		t.Error("Sizes of nothing: no error")
	}
}
