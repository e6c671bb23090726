package flame

import (
	"hash/fnv"
	"image/color"
	"math"

	"github.com/alertprof/alertprof/report/internal/funcname"
)

// Colours that do not depend on the package.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	dimInk     = color.RGBA{0x55, 0x55, 0x55, 0xff}
	hotBorder  = color.RGBA{0xb0, 0x00, 0x20, 0xff}
	rootFill   = color.RGBA{0xc8, 0xcc, 0xd4, 0xff}
	mergedFill = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
)

// frameColor is the fill of a function's frames: a hue from a stable hash
// of its package, so one package keeps one colour in every graph; the
// user's code is more saturated than the runtime and standard library.
// faded frames (off the culprit's path, when there is one) are washed out
// toward white, so that the path stands out.
func frameColor(name string, faded bool) color.RGBA {
	pkg := funcname.Package(name)
	if pkg == "" {
		pkg = name
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(pkg))
	hue := float64(h.Sum32() % 360)
	sat, light := 0.35, 0.74
	if funcname.IsUser(name) {
		sat, light = 0.70, 0.68
	}
	c := hsl(hue, sat, light)
	if faded {
		c = mix(c, background, 0.55)
	}
	return c
}

// mix blends a toward b by t (0: a, 1: b).
func mix(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 0xff}
}

// hsl converts hue (degrees), saturation and lightness (0..1) to RGB.
func hsl(h, s, l float64) color.RGBA {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	u := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return color.RGBA{u(r), u(g), u(b), 0xff}
}
