package store

import (
	"strings"
	"testing"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// FuzzLocalArtifactKey: a key capture.ArtifactKey builds from any parts is
// one the local store accepts. The seeds are capture's FuzzSanitizeKeyPart
// seeds, and testdata/fuzz holds that fuzzer's corpus.
func FuzzLocalArtifactKey(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "...", "/", "//", "a/b", "../../etc/passwd", `..\..\x`, ".hidden",
		"heap.pb.gz", "127.0.0.1-6060", "::1", "é", "\x00", "\xff\xfe", " ", "%2e%2e",
		strings.Repeat(".", 201) + "a", strings.Repeat("x", 300), strings.Repeat("é", 150),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key := capture.ArtifactKey(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), s, capture.Target{Namespace: s, Pod: s}, s)
		if _, err := (&Local{dir: "/nonexistent"}).path(key); err != nil {
			t.Fatalf("the store refuses key %q built from %q: %v", key, s, err)
		}
	})
}
