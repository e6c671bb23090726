package goroutines

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/report/internal/golden"
)

// TestWriteGolden renders a real goroutine dump, as `alertprof analyze`
// and summary.txt show it.
func TestWriteGolden(t *testing.T) {
	t.Run("analysis_goroutines", func(t *testing.T) {
		var got bytes.Buffer
		if err := Write(&got, readDump(t, filepath.Join("..", "testdata", "culprits", "slownet", "goroutine.txt.gz")), 5); err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, filepath.Join("testdata", "analysis_goroutines.golden"), got.Bytes())
	})
}
