package flame

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	rpprof "runtime/pprof"
	"slices"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// maxHeight is the tallest picture the default options draw.
const maxHeight = headerHeight + DefaultMaxRows*rowHeight + footerHeight

// readProfile reads the profile at path as a stream.
func readProfile(t testing.TB, path string) *Source {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Stream(data, format.DefaultMaxDecoded)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &src
}

// parseProfile decodes the profile at path whole.
func parseProfile(t testing.TB, path string) *profile.Profile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := format.ParseProfileMax(data, format.DefaultMaxDecoded)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// checkImage decodes img's PNG and checks its size, its tEXt chunks and
// that the culprit's path is outlined.
func checkImage(t *testing.T, img *Image, culprit string) {
	t.Helper()
	decoded, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	b := decoded.Bounds()
	if b.Dx() != DefaultWidth || b.Dx() != img.Width || b.Dy() != img.Height {
		t.Errorf("size %v, Image says %dx%d, want %d wide", b, img.Width, img.Height, DefaultWidth)
	}
	if b.Dy() <= headerHeight+footerHeight || b.Dy() > maxHeight {
		t.Errorf("height %d outside (%d, %d]", b.Dy(), headerHeight+footerHeight, maxHeight)
	}
	text, err := ReadText(img.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if text[KeyCulprit] != culprit {
		t.Errorf("Culprit chunk %q, want %q", text[KeyCulprit], culprit)
	}
	if !strings.Contains(text[KeyDescription], culprit) || !strings.Contains(img.AltText, culprit) {
		t.Errorf("the description and alt text do not name %s: %q / %q", culprit, text[KeyDescription], img.AltText)
	}
	if text[KeyDescription] != fromLatin1([]byte(latin1(img.AltText, maxTextChunk))) {
		t.Errorf("Description chunk %q differs from the alt text %q", text[KeyDescription], img.AltText)
	}
	if img.Hot == 0 {
		t.Error("the culprit's path is not outlined")
	}
	if len(img.PNG) > 1<<20 {
		t.Errorf("the PNG is %d bytes", len(img.PNG))
	}
}

// TestRenderCulpritProfiles draws the profiles of the culprit programs
// (real processes, see ../testdata/README.md) with their known culprits.
func TestRenderCulpritProfiles(t *testing.T) {
	dir := filepath.Join("..", "testdata", "culprits")
	cases := []struct {
		name, file, base, sampleType, culprit, leaf string
	}{
		{"reflect decoder", "reflect/heap.pb.gz", "", "inuse_space", "main.scanCustomers", "reflect.unsafe_New"},
		{"io.ReadAll of bodies", "readall/heap.pb.gz", "", "inuse_space", "main.handleUpload", ""},
		{"cache growth", "cache/heap2.pb.gz", "cache/heap.pb.gz", "inuse_space", "main.(*sessionCache).put", ""},
		{"goroutine leak", "leak/goroutine.pb.gz", "", "", "main.fetchWorker", ""},
		{"stuck requests", "slownet/goroutine.pb.gz", "", "", "main.callInventory", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{SampleType: c.sampleType, Title: "shop/checkout-1 · " + c.file, Headline: "the headline", Culprit: c.culprit, Leaf: c.leaf}
			if c.base != "" {
				opts.Base = readProfile(t, filepath.Join(dir, c.base))
			}
			img, err := Render(*readProfile(t, filepath.Join(dir, c.file)), opts)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, img, c.culprit)
		})
	}
}

//go:noinline
func retainBlocks(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, 32<<10)
	}
	return out
}

var retained [][]byte

// TestRenderOwnHeap draws the heap profile of this test's own process,
// taken after it retained 64 MiB in retainBlocks.
func TestRenderOwnHeap(t *testing.T) {
	retained = retainBlocks(2048)
	defer func() { retained = nil }()
	runtime.GC()
	var buf bytes.Buffer
	if err := rpprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	p, err := Stream(buf.Bytes(), format.DefaultMaxDecoded)
	if err != nil {
		t.Fatal(err)
	}
	culprit := "github.com/alertprof/alertprof/report/flame.retainBlocks"
	img, err := Render(p, Options{SampleType: "inuse_space", Title: "this test · heap", Culprit: culprit})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, culprit)
}

// synthetic builds a profile with one sample per stack (root first), of
// the given values.
func synthetic(stacks [][]string, values []int64) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}}}
	funcs := map[string]*profile.Function{}
	for i, st := range stacks {
		s := &profile.Sample{Value: []int64{values[i]}}
		for j := len(st) - 1; j >= 0; j-- {
			fn := funcs[st[j]]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(funcs) + 1), Name: st[j]}
				funcs[st[j]] = fn
				p.Function = append(p.Function, fn)
			}
			loc := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn}}}
			p.Location = append(p.Location, loc)
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// TestBoundedPicture: a profile with 2,000 tiny stacks and one 300 frames
// deep still draws 1200 px wide and at most maxHeight tall, with the
// narrow frames merged and the deep ones left out, and says so; the path
// to a culprit below the cut is outlined.
func TestBoundedPicture(t *testing.T) {
	var stacks [][]string
	var values []int64
	deep := []string{"main.main"}
	for i := range 300 {
		deep = append(deep, "main.level"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	deep = append(deep, "main.deepCulprit")
	stacks, values = append(stacks, deep), append(values, 1_000_000)
	for i := range 2000 {
		stacks = append(stacks, []string{"main.main", "example.com/pkg" + string(rune('a'+i%26)) + ".F" + strings.Repeat("y", i%50)})
		values = append(values, 10)
	}
	img, err := Render(Parsed(synthetic(stacks, values)), Options{Title: "synthetic", Culprit: "main.deepCulprit"})
	if err != nil {
		t.Fatal(err)
	}
	if img.Height != maxHeight || img.Width != DefaultWidth {
		t.Errorf("size %dx%d, want %dx%d", img.Width, img.Height, DefaultWidth, maxHeight)
	}
	if img.Merged == 0 || img.Cut != 1 {
		t.Errorf("merged %d, cut %d (want 1)", img.Merged, img.Cut)
	}
	// The culprit is below the cut: the frames above it are outlined.
	if img.Hot != DefaultMaxRows {
		t.Errorf("%d frames outlined, want the %d drawn above the culprit", img.Hot, DefaultMaxRows)
	}
	// Every frame drawn is at least MinFrameWidth wide: a row holds at
	// most Width/MinFrameWidth of them, plus the merged box.
	if limit := DefaultMaxRows * (DefaultWidth/int(DefaultMinFrameWidth) + 1); img.Frames > limit {
		t.Errorf("%d frames drawn, more than %d", img.Frames, limit)
	}
	if _, err := png.Decode(bytes.NewReader(img.PNG)); err != nil {
		t.Fatal(err)
	}
}

// TestHotPath: the culprit's frames, their callers and the frames from
// them down to the headline's function are hot; siblings are not, nor
// are frames of the culprit's name that carry nothing.
func TestHotPath(t *testing.T) {
	p := synthetic([][]string{
		{"main.main", "main.serve", "main.culprit", "main.helper", "runtime.mallocgc"},
		{"main.main", "main.serve", "main.culprit", "main.other"},
		{"main.main", "main.idle"},
		{"main.main", "main.batch", "main.culprit", "runtime.mallocgc"},
	}, []int64{50, 5, 40, 10})
	b := newBuilder(0, "main.culprit")
	if err := b.add(Parsed(p), "", 1); err != nil {
		t.Fatal(err)
	}
	b.t.settle()
	b.t.markHot("main.culprit", "runtime.mallocgc")
	var hot []string
	for i, n := range b.t.nodes {
		if n.hot && i > 0 {
			hot = append(hot, b.t.names[n.name])
		}
	}
	want := "main.main main.serve main.batch main.culprit main.culprit main.helper runtime.mallocgc runtime.mallocgc"
	slices.Sort(hot)
	wantHot := strings.Fields(want)
	slices.Sort(wantHot)
	if got := strings.Join(hot, " "); got != strings.Join(wantHot, " ") {
		t.Errorf("hot frames %s, want %s", got, wantHot)
	}
	if b.t.nodes[0].value != 105 {
		t.Errorf("root value %d, want 105", b.t.nodes[0].value)
	}
}

// TestGrowthOnly: with a base, frames that shrank take no room and the
// root is what grew.
func TestGrowthOnly(t *testing.T) {
	stacks := [][]string{{"main.main", "main.grow"}, {"main.main", "main.shrink"}}
	cur := synthetic(stacks, []int64{300, 10})
	base := synthetic(stacks, []int64{100, 60})
	b := newBuilder(0, "")
	if err := b.add(Parsed(cur), "", 1); err != nil {
		t.Fatal(err)
	}
	if err := b.add(Parsed(base), "", -1); err != nil {
		t.Fatal(err)
	}
	b.t.settle()
	if b.t.nodes[0].value != 200 {
		t.Errorf("growth %d, want 200", b.t.nodes[0].value)
	}
	bigger := Parsed(synthetic(stacks, []int64{300, 70}))
	if _, err := Render(Parsed(base), Options{Base: &bigger}); !errors.Is(err, ErrEmpty) {
		t.Errorf("a profile that only shrank: %v, want ErrEmpty", err)
	}
}

// TestFit: a label is whole when it fits, else cut with an ellipsis and
// never wider than its box once drawn.
func TestFit(t *testing.T) {
	fs, err := fonts()
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFace(fs[0], frameSize)
	if err != nil {
		t.Fatal(err)
	}
	name := "github.com/acme/shop/internal/cart.(*Service).RecomputeTotalsWithDiscounts"
	whole := f.fit(name, 10_000)
	if whole != name {
		t.Fatalf("fit in a wide box: %q", whole)
	}
	for w := 0; w < 700; w += 7 {
		s := f.fit(name, w)
		if s == "" {
			continue
		}
		if s != name && (!strings.HasSuffix(s, ellipsis) || !strings.HasPrefix(name, strings.TrimSuffix(s, ellipsis))) {
			t.Fatalf("width %d: %q is not a prefix with an ellipsis", w, s)
		}
		img := image.NewRGBA(image.Rect(0, 0, 800, 40))
		f.draw(img, s, 0, 30, ink)
		if right := rightmostInk(img); right >= w {
			t.Fatalf("width %d: %q drawn up to x=%d", w, s, right)
		}
	}
	if s := f.fit(name, 5); s != "" {
		t.Errorf("a 5 px box got %q", s)
	}
}

func rightmostInk(img *image.RGBA) int {
	right := -1
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y).A != 0 && x > right {
				right = x
			}
		}
	}
	return right
}

// TestTextChunks: the chunks round-trip, in Latin-1, and a corrupted
// chunk is caught by its CRC.
func TestTextChunks(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	out, err := withText(buf.Bytes(), []textChunk{{KeyTitle, "heap ← main.f"}, {KeyCulprit, "main.(*T).Müller"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the PNG with its chunks does not decode: %v", err)
	}
	got, err := ReadText(out)
	if err != nil {
		t.Fatal(err)
	}
	if got[KeyTitle] != "heap <- main.f" || got[KeyCulprit] != "main.(*T).Müller" {
		t.Errorf("chunks %q", got)
	}
	i := bytes.Index(out, []byte("tEXt"))
	out[i+6] ^= 0xff
	if _, err := ReadText(out); err == nil {
		t.Error("a corrupted chunk was read")
	}
}

// TestColoursByPackage: a package keeps its colour, whatever the function
// or graph; the culprit's path is the only unfaded part.
func TestColoursByPackage(t *testing.T) {
	if frameColor("github.com/acme/cart.(*S).Add", false) != frameColor("github.com/acme/cart.Remove", false) {
		t.Error("two functions of one package have different colours")
	}
	if frameColor("github.com/acme/cart.Add", false) == frameColor("github.com/acme/cart.Add", true) {
		t.Error("a faded frame keeps its colour")
	}
}

// TestStreamDrawsAsParsed: a profile read as a stream draws the same
// picture, byte for byte, as the profile decoded whole, with and without
// a base.
func TestStreamDrawsAsParsed(t *testing.T) {
	dir := filepath.Join("..", "testdata")
	cur, base := filepath.Join(dir, "alertmanager_heap2.pb.gz"), filepath.Join(dir, "alertmanager_heap.pb.gz")
	opts := Options{SampleType: "inuse_space", Title: "alertmanager", Culprit: "github.com/prometheus/alertmanager/store.(*Alerts).Set"}
	for _, withBase := range []bool{false, true} {
		so, po := opts, opts
		if withBase {
			so.Base = readProfile(t, base)
			pb := Parsed(parseProfile(t, base))
			po.Base = &pb
		}
		streamed, err := Render(*readProfile(t, cur), so)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := Render(Parsed(parseProfile(t, cur)), po)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(streamed.PNG, parsed.PNG) || streamed.Frames != parsed.Frames {
			t.Errorf("base %v: the stream draws %d frames in %d bytes, the parsed profile %d in %d", withBase, streamed.Frames, len(streamed.PNG), parsed.Frames, len(parsed.PNG))
		}
	}
}

// TestShortNames: the picture's headline names functions by package name.
func TestShortNames(t *testing.T) {
	in := "inuse heap 6.40GB, 94.12% allocated by reflect.New ← github.com/acme/shop/internal/cart.(*Service).Load, again github.com/acme/x.F."
	want := "inuse heap 6.40GB, 94.12% allocated by reflect.New ← cart.(*Service).Load, again x.F."
	if got := shortNames(in); got != want {
		t.Errorf("shortNames:\n got %q\nwant %q", got, want)
	}
}
