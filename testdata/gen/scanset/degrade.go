package scanset

import (
	"math"
	"math/rand/v2"
)

// The hard set's faults of the scan itself, beyond an ordinary desk
// scanner's (scan.go): each works on the planes in the frame named in its
// comment, and scan calls them only when the page's spec asks.

// lid moves the skewed sheet on the glass by shift (millimetres, right and
// down) and shows the bare glass around it as a scanner lid left open, or a
// black one, shows it: a dark border along one or two edges whose inner
// edge is tilted with the sheet, and dark corners where a crooked sheet
// leaves the glass bare. Frame: the glass, before any quarter turn.
func (pl *planes) lid(rng *rand.Rand, skew float64, shift [2]float64, dpi int) *planes {
	mm := float64(dpi) / 25.4
	dx, dy := int(math.Round(shift[0]*mm)), int(math.Round(shift[1]*mm))
	tone := 0.07 + rng.Float64()*0.2
	mottle := newNoise2(rng, pl.w, pl.h, 12*mm)
	th := skew * math.Pi / 180
	cos, sin := math.Cos(th), math.Sin(th)
	w, h := float64(pl.w), float64(pl.h)
	out := &planes{w: pl.w, h: pl.h, p: make([][]float32, len(pl.p))}
	for i := range out.p {
		out.p[i] = make([]float32, pl.w*pl.h)
	}
	for y := 0; y < pl.h; y++ {
		for x := 0; x < pl.w; x++ {
			// Where this point of the glass lies on the sheet: undo the
			// shift, then the turn, as rotate maps its samples.
			ux, uy := float64(x-dx)+0.5-w/2, float64(y-dy)+0.5-h/2
			sx, sy := ux*cos-uy*sin+w/2, ux*sin+uy*cos+h/2
			cov := float32(clamp01(math.Min(math.Min(sx, w-sx), math.Min(sy, h-sy)) + 0.5))
			glass := float32(tone + 0.08*(mottle.at(float64(x), float64(y))-0.5))
			for ch, p := range pl.p {
				v := float32(1) // the sheet's margin beyond the frame: blank paper
				if x0, y0 := x-dx, y-dy; x0 >= 0 && y0 >= 0 && x0 < pl.w && y0 < pl.h {
					v = p[y0*pl.w+x0]
				}
				out.p[ch][y*pl.w+x] = v*cov + glass*(1-cov)
			}
		}
	}
	return out
}

// letterbox sets the page in a taller capture of the given width-to-height
// ratio, between the bars of a phone's screen or a viewer's window (dark
// or light, more below than above), as a screenshot of a page shows it.
// Frame: the capture, before any quarter turn.
func (pl *planes) letterbox(rng *rand.Rand, aspect float64) *planes {
	h := int(math.Round(float64(pl.w) / aspect))
	if h <= pl.h {
		return pl
	}
	bar := float32(0.11 + rng.Float64()*0.06)
	if rng.IntN(2) == 0 {
		bar = float32(0.93 + rng.Float64()*0.05)
	}
	top := int(float64(h-pl.h) * (0.3 + rng.Float64()*0.2))
	out := &planes{w: pl.w, h: h, p: make([][]float32, len(pl.p))}
	for ch, p := range pl.p {
		q := make([]float32, pl.w*h)
		for i := range q {
			q[i] = bar
		}
		copy(q[top*pl.w:], p)
		out.p[ch] = q
	}
	return out
}

// unevenLight darkens the page smoothly, as a lamp that lights one side
// better, a phone's vignetting and the shadow of a hand do: a linear
// gradient in some direction, a radial fall-off and a broad blotch, mixed
// at random, so that the darkest place loses depth of the light. Frame:
// the final image.
func (pl *planes) unevenLight(rng *rand.Rand, depth float64) {
	dir := rng.Float64() * 2 * math.Pi
	cos, sin := math.Cos(dir), math.Sin(dir)
	reach := 0.5 * (math.Abs(cos) + math.Abs(sin))
	a, b, c := rng.Float64(), rng.Float64(), 0.5*rng.Float64()
	sum := a + b + c
	a, b, c = a/sum, b/sum, c/sum
	blotch := newNoise2(rng, pl.w, pl.h, float64(max(pl.w, pl.h))/2.5)
	for y := 0; y < pl.h; y++ {
		v := float64(y)/float64(pl.h) - 0.5
		for x := 0; x < pl.w; x++ {
			u := float64(x)/float64(pl.w) - 0.5
			grad := (u*cos + v*sin + reach) / (2 * reach)
			radial := 2 * (u*u + v*v)
			f := a*grad + b*radial + c*blotch.at(float64(x), float64(y))
			k := float32(1 - depth*f)
			for _, p := range pl.p {
				p[y*pl.w+x] *= k
			}
		}
	}
}

// saltAndPepper hits share of the pixels with one- or two-pixel specks,
// most dark (dust, toner) and some white (dropouts): the speckle of a
// dirty glass or a worn sensor. Frame: the final image, after the blur.
func (pl *planes) saltAndPepper(rng *rand.Rand, share float64) {
	n := int(share * float64(pl.w*pl.h))
	for i := 0; i < n; i++ {
		x, y := rng.IntN(pl.w), rng.IntN(pl.h)
		size := 1 + rng.IntN(2)
		v := float32(1)
		if rng.Float64() < 0.65 {
			v = float32(0.04 + rng.Float64()*0.22)
		}
		for yy := y; yy < min(y+size, pl.h); yy++ {
			for xx := x; xx < min(x+size, pl.w); xx++ {
				for _, p := range pl.p {
					p[yy*pl.w+xx] = v
				}
			}
		}
	}
}
