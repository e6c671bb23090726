package flame

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"

	"golang.org/x/image/font/opentype"

	"github.com/alertprof/alertprof/report/internal/funcname"
	"github.com/alertprof/alertprof/report/internal/units"
)

// Defaults of Options.
const (
	DefaultWidth         = 1200
	DefaultMaxRows       = 36
	DefaultMinFrameWidth = 3.0
)

// Geometry of the picture, in pixels.
const (
	rowHeight    = 28
	margin       = 8
	labelPad     = 5
	headerHeight = 76
	footerHeight = 32
	frameSize    = 18
	titleSize    = 24
	headlineSize = 20
	footerSize   = 16
	maxAltText   = 1000 // Slack's limit for an image's alt text
)

// Options says what to draw.
type Options struct {
	// SampleType is the sample type drawn ("inuse_space"); "" means the
	// profile's default.
	SampleType string
	// Base, when set, is subtracted from the profile: the graph shows
	// what grew since Base (frames that shrank take no room).
	Base *Source
	// Title is the first line of the picture and its Title chunk, e.g.
	// "shop/checkout-1 · heap-2: growth of inuse_space".
	Title string
	// Headline is the second line: the sentence the report leads with.
	Headline string
	// Culprit is the function the headline blames: its frames and their
	// callers are outlined, and the other frames faded.
	Culprit string
	// Leaf is the headline's function (the cost itself, e.g. the
	// allocator): the frames from Culprit down to it are outlined too.
	Leaf string
	// Width is the picture's width (DefaultWidth when <= 0).
	Width int
	// MaxRows caps the rows of frames, the root's included
	// (DefaultMaxRows when < 2): deeper frames are not drawn.
	MaxRows int
	// MinFrameWidth is the narrowest frame drawn on its own, in pixels
	// (DefaultMinFrameWidth when <= 0); narrower siblings are merged into
	// one grey frame.
	MinFrameWidth float64
}

// Image is a rendered flame graph.
type Image struct {
	// PNG is the encoded picture, with its tEXt chunks.
	PNG []byte
	// AltText describes the picture in words: the profile, the headline
	// and the culprit. It is also the PNG's Description chunk.
	AltText       string
	Width, Height int
	// Frames counts the frames drawn on their own; Merged the frames
	// drawn merged with their narrow siblings; Hot the frames on the
	// culprit's path; Cut the frames of the last row whose stacks went
	// deeper and were cut.
	Frames, Merged, Hot, Cut int
}

// ErrEmpty is returned for a profile with nothing to draw: no sample of
// the sample type has a positive value (or, with a base, nothing grew).
var ErrEmpty = errors.New("nothing to draw: no positive sample values")

// Render draws p as a flame graph, root at the top (an icicle graph): the
// width of a frame is its share of the total, children are ordered
// heaviest first from the left.
func Render(p Source, opts Options) (*Image, error) {
	opts = opts.withDefaults()
	target := opts.Culprit
	if target == "" {
		target = opts.Leaf
	}
	b := newBuilder(opts.MaxRows-1, target)
	if err := b.add(p, opts.SampleType, 1); err != nil {
		return nil, err
	}
	if opts.Base != nil {
		if err := b.add(*opts.Base, opts.SampleType, -1); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
	}
	t := b.t
	t.settle()
	if t.nodes[0].value <= 0 {
		return nil, ErrEmpty
	}
	t.markHot(opts.Culprit, opts.Leaf)
	idx, _ := p.Header.SampleIndexByName(opts.SampleType)
	st := p.Header.SampleType[idx]

	fs, err := fonts()
	if err != nil {
		return nil, fmt.Errorf("load the font: %w", err)
	}
	pt, err := newPainter(fs[0], fs[1])
	if err != nil {
		return nil, fmt.Errorf("load the font: %w", err)
	}
	rows := min(t.depth+1, opts.MaxRows)
	height := headerHeight + rows*rowHeight + footerHeight
	pt.img = image.NewRGBA(image.Rect(0, 0, opts.Width, height))
	draw.Draw(pt.img, pt.img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)

	out := &Image{Width: opts.Width, Height: height, Cut: t.cut}
	rootLabel := fmt.Sprintf("all: %s %s", units.FormatValue(t.nodes[0].value, st.Unit), st.Type)
	if opts.Base != nil {
		rootLabel = fmt.Sprintf("all growth: +%s %s", units.FormatValue(t.nodes[0].value, st.Unit), st.Type)
	}
	pt.frames(t, out, opts, rootLabel)
	pt.header(opts)
	pt.footer(t, out, opts)

	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, pt.img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	out.AltText = altText(opts, out.Hot > 0)
	chunks := []textChunk{{KeyTitle, opts.Title}, {KeyDescription, out.AltText}, {KeySoftware, "alertprof"}}
	if opts.Culprit != "" {
		chunks = append(chunks, textChunk{KeyCulprit, opts.Culprit})
	}
	if out.PNG, err = withText(buf.Bytes(), chunks); err != nil {
		return nil, err
	}
	return out, nil
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.MaxRows < 2 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MinFrameWidth <= 0 {
		o.MinFrameWidth = DefaultMinFrameWidth
	}
	return o
}

// altText words the picture for people who cannot see it, and for
// search: what profile, the headline, and what is outlined.
func altText(opts Options, outlined bool) string {
	parts := []string{"Flame graph"}
	if opts.Title != "" {
		parts[0] += " of " + opts.Title
	}
	if opts.Headline != "" {
		parts = append(parts, opts.Headline)
	}
	if opts.Culprit != "" {
		if outlined {
			parts = append(parts, "Outlined: the culprit "+opts.Culprit+" and its callers")
		} else {
			parts = append(parts, "Culprit: "+opts.Culprit)
		}
	}
	s := strings.Join(parts, ". ")
	if r := []rune(s); len(r) > maxAltText {
		s = string(r[:maxAltText-1]) + ellipsis
	}
	return s
}

// painter draws one picture.
type painter struct {
	img                        *image.RGBA
	frame, hot, title, regular *textFace
	footerFace                 *textFace
}

func newPainter(reg, bold *opentype.Font) (*painter, error) {
	var p painter
	var err error
	for _, f := range []struct {
		dst  **textFace
		font *opentype.Font
		size float64
	}{
		{&p.frame, reg, frameSize}, {&p.hot, bold, frameSize}, {&p.title, bold, titleSize},
		{&p.regular, reg, headlineSize}, {&p.footerFace, reg, footerSize},
	} {
		if *f.dst, err = newFace(f.font, f.size); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// placed is a frame waiting to be drawn: its node, left edge and row.
type placed struct {
	n     int32
	x     float64
	depth int
}

// frames draws the tree, root on the first row under the header.
func (pt *painter) frames(t *tree, out *Image, opts Options, rootLabel string) {
	inner := float64(opts.Width - 2*margin)
	scale := inner / float64(t.nodes[0].value)
	anyHot := t.nodes[0].hot
	stack := []placed{{0, margin, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := &t.nodes[it.n]
		w := float64(n.value) * scale
		y := headerHeight + it.depth*rowHeight
		label := rootLabel
		fill := rootFill
		if it.n != 0 {
			name := t.names[n.name]
			label = funcname.Short(name)
			fill = frameColor(name, anyHot && !n.hot)
		}
		pt.box(it.x, w, y, fill, label, n.hot)
		out.Frames++
		if n.hot {
			out.Hot++
		}
		cx := it.x
		for i, c := range n.children {
			cw := float64(t.nodes[c].value) * scale
			if cw <= 0 {
				break
			}
			if cw < opts.MinFrameWidth {
				var rest float64
				for _, r := range n.children[i:] {
					rest += float64(t.nodes[r].value) * scale
					out.Merged += t.count(r)
				}
				pt.box(cx, rest, y+rowHeight, mergedFill, "", false)
				break
			}
			stack = append(stack, placed{c, cx, it.depth + 1})
			cx += cw
		}
	}
}

// count is the number of frames in the subtree of n with a value.
func (t *tree) count(n int32) int {
	c := 0
	stack := []int32{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.nodes[m].value > 0 {
			c++
			stack = append(stack, t.nodes[m].children...)
		}
	}
	return c
}

// box draws one frame: a box from x, w wide, with a 1 px gap on its
// right and below, and its label cut to fit; a hot frame is outlined and
// labelled in bold.
func (pt *painter) box(x, w float64, y int, fill color.RGBA, label string, hot bool) {
	x0, x1 := int(math.Round(x)), int(math.Round(x+w))
	if x1-x0 >= 3 {
		x1--
	}
	if x1 <= x0 {
		return
	}
	r := image.Rect(x0, y, x1, y+rowHeight-1)
	draw.Draw(pt.img, r, image.NewUniform(fill), image.Point{}, draw.Src)
	face := pt.frame
	if hot {
		face = pt.hot
		outline(pt.img, r, hotBorder, 2)
	}
	if label == "" || x1-x0 < 2*labelPad+8 {
		return
	}
	if s := face.fit(label, x1-x0-2*labelPad); s != "" {
		baseline := y + (rowHeight-1+face.ascent)/2 - 1
		face.draw(pt.img, s, x0+labelPad, baseline, ink)
	}
}

// outline draws a border of width px inside r.
func outline(img *image.RGBA, r image.Rectangle, c color.RGBA, px int) {
	u := image.NewUniform(c)
	px = min(px, r.Dx()/2, r.Dy()/2)
	if px <= 0 {
		return
	}
	draw.Draw(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+px), u, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(r.Min.X, r.Max.Y-px, r.Max.X, r.Max.Y), u, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+px, r.Max.Y), u, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(r.Max.X-px, r.Min.Y, r.Max.X, r.Max.Y), u, image.Point{}, draw.Src)
}

// header draws the title and the headline above the frames.
func (pt *painter) header(opts Options) {
	width := opts.Width - 2*margin
	if s := pt.title.fit(opts.Title, width); s != "" {
		pt.title.draw(pt.img, s, margin, 30, ink)
	}
	if s := pt.regular.fit(shortNames(opts.Headline), width); s != "" {
		pt.regular.draw(pt.img, s, margin, 60, ink)
	}
}

// footer says what the outline and the grey frames mean, and what was
// left out.
func (pt *painter) footer(t *tree, out *Image, opts Options) {
	var notes []string
	if out.Hot > 0 {
		notes = append(notes, "outlined: "+funcname.Short(opts.Culprit)+" and its callers")
	}
	if out.Merged > 0 {
		notes = append(notes, fmt.Sprintf("grey: %s narrower than %.0f px, merged", units.Plural(out.Merged, "frame"), opts.MinFrameWidth))
	}
	if t.cut > 0 {
		notes = append(notes, fmt.Sprintf("stacks cut at row %d under %s", opts.MaxRows, units.Plural(t.cut, "frame")))
	}
	notes = append(notes, "width: share of the total")
	y := out.Height - footerHeight + 22
	if s := pt.footerFace.fit(strings.Join(notes, " · "), opts.Width-2*margin); s != "" {
		pt.footerFace.draw(pt.img, s, margin, y, dimInk)
	}
}

// shortNames shortens the function names in a headline to their package
// name ("github.com/acme/cache.(*LRU).Add," becomes "cache.(*LRU).Add,"),
// so that the sentence fits the picture's width; the alt text keeps it
// whole.
func shortNames(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		name := strings.TrimRight(w, ",.;:")
		if strings.Contains(name, "/") && funcname.Package(name) != "" {
			words[i] = funcname.Short(name) + w[len(name):]
		}
	}
	return strings.Join(words, " ")
}
