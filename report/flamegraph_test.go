package report

import (
	"bytes"
	"context"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
	"github.com/alertprof/alertprof/report/flame"
)

// analysed analyses arts as one pod's, as a capture does.
func analysed(t *testing.T, kind string, arts []Artifact) PodReport {
	t.Helper()
	pr := PodReport{Target: "shop/checkout-1", Kind: kind}
	for _, a := range arts {
		pr.Profiles = append(pr.Profiles, ProfileReport{Name: a.Name})
	}
	if errs := Analyze(context.Background(), &pr, arts, Options{}); len(errs) > 0 {
		t.Fatal(errs)
	}
	return pr
}

// TestRenderFlameLeadingProfile: the flame graph draws the profile the
// headline comes from, outlines the function the headline blames, and
// names it in the PNG's text and alt text; the programs' culprits are the
// known ones (testdata/README.md).
func TestRenderFlameLeadingProfile(t *testing.T) {
	const culprits = "culprits"
	cases := []struct {
		name          string
		kind          string
		arts          []Artifact
		profile, base string
		culprit       string
	}{
		{"heap growth of a cache", capture.KindMemory, []Artifact{
			{Name: "heap", Data: readFixture(t, filepath.Join(culprits, "cache", "heap.pb.gz"))},
			{Name: "heap-2", Data: readFixture(t, filepath.Join(culprits, "cache", "heap2.pb.gz"))},
		}, "heap-2", "heap", "main.(*sessionCache).put"},
		{"reflect decoder", capture.KindDefault, []Artifact{
			{Name: "heap", Data: readFixture(t, filepath.Join(culprits, "reflect", "heap.pb.gz"))},
			{Name: "goroutine", Data: readFixture(t, "goroutine.pb.gz")},
		}, "heap", "", "main.scanCustomers"},
		{"goroutine leak, headline from the dump", capture.KindDefault, []Artifact{
			{Name: "goroutine", Data: readFixture(t, filepath.Join(culprits, "leak", "goroutine.txt.gz"))},
			{Name: "goroutine-profile", Data: readFixture(t, filepath.Join(culprits, "leak", "goroutine.pb.gz"))},
		}, "goroutine-profile", "", "main.fetchWorker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := analysed(t, c.kind, c.arts)
			if pr.Headline == "" {
				t.Fatal("no headline")
			}
			fg, err := RenderFlame(context.Background(), pr, c.arts, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if fg == nil {
				t.Fatal("no flame graph")
			}
			if fg.Profile != c.profile || fg.Base != c.base || fg.Culprit != c.culprit {
				t.Fatalf("flame graph of %s (base %q) outlining %s, want %s (base %q) outlining %s; headline %q",
					fg.Profile, fg.Base, fg.Culprit, c.profile, c.base, c.culprit, pr.Headline)
			}
			img, err := png.Decode(bytes.NewReader(fg.PNG))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != flame.DefaultWidth || b.Dy() != fg.Height || b.Dy() > 1200 {
				t.Errorf("size %v (FlameGraph says %dx%d)", b, fg.Width, fg.Height)
			}
			text, err := flame.ReadText(fg.PNG)
			if err != nil {
				t.Fatal(err)
			}
			if text[flame.KeyCulprit] != c.culprit || !strings.Contains(text[flame.KeyTitle], c.profile) {
				t.Errorf("text chunks %q", text)
			}
			if !strings.Contains(fg.AltText, c.culprit) || !strings.Contains(fg.AltText, pr.Headline) {
				t.Errorf("alt text %q does not name the culprit and the headline %q", fg.AltText, pr.Headline)
			}
		})
	}
}

// TestRenderFlameNothingToDraw: a pod without a pprof profile gets no
// flame graph, and no error.
func TestRenderFlameNothingToDraw(t *testing.T) {
	arts := []Artifact{{Name: "goroutine", Data: readFixture(t, "alertmanager_goroutine.txt.gz")}}
	pr := analysed(t, capture.KindDefault, arts)
	fg, err := RenderFlame(context.Background(), pr, arts, Options{})
	if fg != nil || err != nil {
		t.Fatalf("got %+v, %v; want nothing", fg, err)
	}
}

// TestRenderFlameBudget: the decoding is admitted by the memory budget,
// which gets its share back; a budget too small refuses it.
func TestRenderFlameBudget(t *testing.T) {
	arts := []Artifact{{Name: "heap", Data: readFixture(t, "heap.pb.gz")}}
	pr := analysed(t, capture.KindDefault, arts)
	b := &countingBudget{size: 1 << 40}
	if fg, err := RenderFlame(context.Background(), pr, arts, Options{Budget: b}); err != nil || fg == nil {
		t.Fatalf("got %v, %v", fg, err)
	}
	if b.used != 0 {
		t.Errorf("%d bytes of the budget not given back", b.used)
	}
	if _, err := RenderFlame(context.Background(), pr, arts, Options{Budget: &countingBudget{size: 1}}); err == nil {
		t.Error("a budget of one byte admitted the decoding")
	}
}
