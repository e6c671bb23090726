package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/alertprof/alertprof/capture/format"
)

// countingBudget is a Budget that keeps count of what is reserved, so a
// test can see that every reservation is given back.
type countingBudget struct {
	size int64
	mu   sync.Mutex
	used int64
}

func (b *countingBudget) Reserve(_ context.Context, n int64) (func(), error) {
	if n > b.size {
		return nil, errors.New("over budget")
	}
	b.mu.Lock()
	b.used += n
	b.mu.Unlock()
	return sync.OnceFunc(func() {
		b.mu.Lock()
		b.used -= n
		b.mu.Unlock()
	}), nil
}

// FuzzFetchAndAnalyse feeds arbitrary bytes through what a fetched body
// goes through: the format check and the bounded parse a fetch does, then
// the pod analyser under small caps and a memory budget, as the format a
// plan asks for (any of them, or unknown). Nothing may
// panic out of them, a decoded profile stays within its cap, every share
// of the budget is given back, and a profile the fetch accepted is either
// summarized or reported with an error.
func FuzzFetchAndAnalyse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pb.gz"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), data)
	}
	var nested bytes.Buffer
	zw := gzip.NewWriter(&nested)
	inner := gzip.NewWriter(zw)
	_, _ = inner.Write(make([]byte, 64<<10))
	_ = inner.Close()
	_ = zw.Close()
	f.Add(uint8(0), nested.Bytes())
	f.Add(uint8(0), []byte{0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01})
	f.Add(uint8(1), []byte("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:8 +0x25\n"))
	f.Add(uint8(2), []byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# Sys = 4194304\n"))
	f.Add(uint8(3), []byte("go 1.26 trace\x00\x00\x00\x01\x02"))
	f.Add(uint8(4), []byte("goroutine 1 [running]:\n"))
	const maxDecoded = 1 << 20
	formats := []format.Format{format.Profile, format.Goroutines, format.HeapText, format.Trace, format.Unknown}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		fetched := format.Check(format.Profile, data) == nil
		if fetched {
			p, err := format.ParseProfileMax(data, maxDecoded)
			fetched = err == nil
			if p != nil && err != nil {
				t.Errorf("ParseProfileMax returned a profile and an error: %v", err)
			}
			if n, derr := format.DecodedSize(data, maxDecoded); p != nil && (derr != nil || n > maxDecoded) {
				t.Errorf("a profile of %d bytes decoded (%v) parsed under a %d-byte cap", n, derr, maxDecoded)
			}
		}
		budget := &countingBudget{size: 16 << 20}
		opts := Options{Top: 5, MaxDecoded: maxDecoded, Budget: budget, Text: format.TextLimits{MaxBytes: maxDecoded, MaxLines: 10_000}}
		f := formats[int(kind)%len(formats)]
		pr := PodReport{Target: "shop/api-0"}
		errs := Analyze(context.Background(), &pr, []Artifact{{Name: "heap", Format: f, Data: data}, {Name: "heap-2", Format: f, Data: data}}, opts)
		if budget.used != 0 {
			t.Fatalf("format %q: %d bytes of the budget still reserved", f, budget.used)
		}
		if f != format.Profile || !fetched {
			return
		}
		for _, p := range pr.Profiles {
			if p.Summary == nil && p.Error == "" {
				t.Errorf("profile %s accepted by the fetch has neither a summary nor an error (%v)", p.Name, errs)
			}
		}
	})
}
