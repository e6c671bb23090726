package slack

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report"
)

// FuzzAnalyze feeds arbitrary bytes through everything a capture goes
// through: the pod analyser (as two heap snapshots, so that the growth
// between them is computed too; traces, goroutine dumps and memory
// statistics go through it as well), the text and the Slack renderers. Nothing
// may panic, tables keep to the top asked for, and the Slack limits hold.
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.pb.gz"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "culprits", "*", "*.pb.gz"))
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if p, err := format.ParseProfile(data); err == nil {
			var raw bytes.Buffer
			if err := p.WriteUncompressed(&raw); err == nil {
				f.Add(raw.Bytes())
			}
		}
	}
	if trace, err := os.ReadFile(filepath.Join("..", "testdata", "trace", "slowpeer.out")); err == nil {
		f.Add(trace[:min(len(trace), 4<<10)])
	}
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# Sys = 4194304\n# HeapSys = 2097152\n# HeapAlloc = 1048576\n# NextGC = 4194304\n"))
	f.Add([]byte("goroutine 1 [chan receive, 17 minutes]:\nmain.worker()\n\t/app/main.go:12 +0x1d\ncreated by main.main in goroutine 1\n\t/app/main.go:8 +0x25\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pr := report.PodReport{Target: "shop/api-0", AlertName: "Fuzz"}
		report.Analyze(context.Background(), &pr, []report.Artifact{{Name: "heap", Data: data}, {Name: "heap-2", Data: data}}, report.Options{Top: 5})
		for _, p := range pr.Profiles {
			if p.Summary == nil {
				continue
			}
			for _, s := range append(p.Views, *p.Summary) {
				if len(s.Rows) > 5 || len(s.CumRows) > 5 {
					t.Errorf("%d rows, %d cum rows for top 5", len(s.Rows), len(s.CumRows))
				}
			}
		}
		if err := report.WritePod(io.Discard, pr); err != nil {
			t.Errorf("WritePod: %v", err)
		}
		checkBlocks(t, podMessage(pr, "").blocks)
	})
}
