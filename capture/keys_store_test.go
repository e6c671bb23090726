package capture_test

import (
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/capture/store"
)

// TestArtifactKeysAreStorable: every key ArtifactKey builds must be one the
// local store accepts.
func TestArtifactKeysAreStorable(t *testing.T) {
	for _, key := range capture.ArtifactKeysForTest() {
		l, err := store.NewLocal(t.TempDir(), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Put(t.Context(), key, []byte("x"), capture.Meta{}); err != nil {
			t.Errorf("Local.Put(%q): %v", key, err)
		}
	}
}
