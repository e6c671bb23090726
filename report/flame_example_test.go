package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/flame"
	"github.com/alertprof/alertprof/report/internal/golden"
)

// exampleFlame is the flame graph the README shows: the heap of a real
// Alertmanager after 900 alerts (testdata/README.md).
var exampleFlame = filepath.Join("flame", "testdata", "alertmanager-heap.png")

// TestExampleFlameGraph draws the README's example as a capture does, and
// checks the committed file is that picture: same size, same culprit,
// same headline. -update rewrites it.
func TestExampleFlameGraph(t *testing.T) {
	arts := []Artifact{
		{Name: "heap", Data: readFixture(t, "alertmanager_heap2.pb.gz")},
		{Name: "goroutine", Data: readFixture(t, "alertmanager_goroutine.txt.gz")},
	}
	pr := PodReport{Target: "monitoring/alertmanager-0", Name: "monitoring/alertmanager-0", Kind: capture.KindDefault,
		Profiles: []ProfileReport{{Name: "heap"}, {Name: "goroutine"}}}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	fg, err := RenderFlame(context.Background(), pr, arts, Options{})
	if err != nil || fg == nil {
		t.Fatalf("%v, %v", fg, err)
	}
	if fg.Profile != "heap" || fg.Base != "" || fg.Culprit == "" {
		t.Fatalf("drew %s (base %q) outlining %q, want the heap", fg.Profile, fg.Base, fg.Culprit)
	}
	if golden.Update() {
		if err := os.WriteFile(exampleFlame, fg.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(exampleFlame)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(committed))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != fg.Width || b.Dy() != fg.Height {
		t.Errorf("the committed example is %v, the picture %dx%d (go test -update rewrites it)", b, fg.Width, fg.Height)
	}
	got, err := flame.ReadText(committed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := flame.ReadText(fg.PNG)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{flame.KeyTitle, flame.KeyDescription, flame.KeyCulprit} {
		if got[k] != want[k] {
			t.Errorf("the committed example's %s is %q, the picture's %q (go test -update rewrites it)", k, got[k], want[k])
		}
	}
}
