package flame

import (
	"image"
	"image/color"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// fonts are the Go fonts, parsed once: they are embedded in the binary.
var fonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return [2]*opentype.Font{}, err
	}
	bold, err := opentype.Parse(gobold.TTF)
	return [2]*opentype.Font{reg, bold}, err
})

// ellipsis ends a label cut to fit its box.
const ellipsis = "…"

// textFace is a font face with the advances of ASCII characters cached,
// so that fitting thousands of labels stays cheap. A face is not safe for
// concurrent use: each rendering makes its own.
type textFace struct {
	face   font.Face
	ascent int // pixels above the baseline
	ascii  [128]fixed.Int26_6
	known  [128]bool
	ell    fixed.Int26_6
}

func newFace(f *opentype.Font, size float64) (*textFace, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	tf := &textFace{face: face, ascent: face.Metrics().Ascent.Ceil()}
	tf.ell = tf.advance('…')
	return tf, nil
}

func (f *textFace) advance(r rune) fixed.Int26_6 {
	if r >= 0 && r < 128 && f.known[r] {
		return f.ascii[r]
	}
	a, ok := f.face.GlyphAdvance(r)
	if !ok {
		a, _ = f.face.GlyphAdvance('?')
	}
	if r >= 0 && r < 128 {
		f.ascii[r], f.known[r] = a, true
	}
	return a
}

// fit returns s as it fits in width pixels: whole, or cut with an
// ellipsis, or "" when not even two characters and the ellipsis fit.
func (f *textFace) fit(s string, width int) string {
	limit := fixed.I(width)
	var w fixed.Int26_6
	for _, r := range s {
		w += f.advance(r)
	}
	if w <= limit {
		return s
	}
	w = f.ell
	n := 0
	for i, r := range s {
		w += f.advance(r)
		if w > limit {
			if n < 2 {
				return ""
			}
			return s[:i] + ellipsis
		}
		n++
	}
	return s
}

// draw writes s with its baseline at (x, y) in c.
func (f *textFace) draw(dst *image.RGBA, s string, x, y int, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f.face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
