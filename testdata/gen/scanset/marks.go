package scanset

import (
	"image"
	"math"
	"math/rand/v2"

	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The masks hold ink coverage, 0 to 255. Marks combine by maximum, so a
// stroke drawn over itself does not get darker; inks of different colours
// are mixed later, when the page is scanned.

func setMax(m *image.Alpha, x, y int, a float64) {
	if !(image.Point{x, y}.In(m.Rect)) || a <= 0 {
		return
	}
	i := m.PixOffset(x, y)
	v := uint8(math.Min(255, a*255+0.5))
	if v > m.Pix[i] {
		m.Pix[i] = v
	}
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// fillRect fills a rectangle with anti-aliased edges.
func fillRect(m *image.Alpha, x0, y0, x1, y1 float64) {
	for y := int(math.Floor(y0)); y < int(math.Ceil(y1)); y++ {
		cy := clamp01(math.Min(y1, float64(y+1)) - math.Max(y0, float64(y)))
		for x := int(math.Floor(x0)); x < int(math.Ceil(x1)); x++ {
			cx := clamp01(math.Min(x1, float64(x+1)) - math.Max(x0, float64(x)))
			setMax(m, x, y, cx*cy)
		}
	}
}

// fillDisc stamps an anti-aliased disc of radius r with the given opacity.
func fillDisc(m *image.Alpha, cx, cy, r, a float64) {
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			setMax(m, x, y, clamp01(r+0.5-d)*a)
		}
	}
}

// ring draws the annulus between radii r0 and r1.
func ring(m *image.Alpha, cx, cy, r0, r1 float64) {
	for y := int(cy - r1 - 1); y <= int(cy+r1+1); y++ {
		for x := int(cx - r1 - 1); x <= int(cx+r1+1); x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			setMax(m, x, y, clamp01(math.Min(d-r0+0.5, r1-d+0.5)))
		}
	}
}

// star fills a five-pointed star of outer radius r, one point up.
func star(m *image.Alpha, cx, cy, r float64) {
	size := int(2*r) + 4
	z := vector.NewRasterizer(size, size)
	o := float64(size) / 2
	for i := 0; i < 10; i++ {
		rad := r
		if i%2 == 1 {
			rad = r * 0.382
		}
		a := float64(i)*math.Pi/5 - math.Pi/2
		px, py := float32(o+rad*math.Cos(a)), float32(o+rad*math.Sin(a))
		if i == 0 {
			z.MoveTo(px, py)
		} else {
			z.LineTo(px, py)
		}
	}
	z.ClosePath()
	tmp := image.NewAlpha(image.Rect(0, 0, size, size))
	z.Draw(tmp, tmp.Bounds(), image.Opaque, image.Point{})
	ox, oy := int(math.Round(cx-o)), int(math.Round(cy-o))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			setMax(m, ox+x, oy+y, float64(tmp.Pix[tmp.PixOffset(x, y)])/255)
		}
	}
}

// noise2 is smooth value noise: random values on a square grid of the
// given cell size, interpolated with a smoothstep. Values lie in [0, 1].
type noise2 struct {
	cell   float64
	nx, ny int
	v      []float64
}

func newNoise2(rng *rand.Rand, w, h int, cell float64) *noise2 {
	n := &noise2{cell: cell, nx: int(float64(w)/cell) + 2, ny: int(float64(h)/cell) + 2}
	n.v = make([]float64, n.nx*n.ny)
	for i := range n.v {
		n.v[i] = rng.Float64()
	}
	return n
}

func (n *noise2) at(x, y float64) float64 {
	fx, fy := math.Max(0, x/n.cell), math.Max(0, y/n.cell)
	ix, iy := min(int(fx), n.nx-2), min(int(fy), n.ny-2)
	tx, ty := smooth(fx-float64(ix)), smooth(fy-float64(iy))
	v00, v10 := n.v[iy*n.nx+ix], n.v[iy*n.nx+ix+1]
	v01, v11 := n.v[(iy+1)*n.nx+ix], n.v[(iy+1)*n.nx+ix+1]
	return (v00*(1-tx)+v10*tx)*(1-ty) + (v01*(1-tx)+v11*tx)*ty
}

func smooth(t float64) float64 {
	t = clamp01(t)
	return t * t * (3 - 2*t)
}

// drawSeal stamps a round red seal: a heavy outer ring, the issuing body's
// name around it, a thin inner ring and a star, with the uneven ink of a
// rubber stamp pressed by hand.
func drawSeal(fs *fonts, m *image.Alpha, rng *rand.Rand, cx, cy, r float64, text string, dpi int) {
	mm := float64(dpi) / 25.4
	bounds := image.Rect(int(cx-r-2), int(cy-r-2), int(cx+r+3), int(cy+r+3)).Intersect(m.Rect)
	layer := image.NewAlpha(bounds)
	ring(layer, cx, cy, r-0.75*mm, r)
	inner := r - 5.3*mm
	ring(layer, cx, cy, inner-0.3*mm, inner)
	star(layer, cx, cy, inner*0.55)
	if text != "" {
		// Glyph tops point outward: the baseline sits a cap height and the
		// room for Vietnamese marks inside the outer ring.
		ringText(fs, layer, cx, cy, r-3.8*mm, text, dpi, rng.Float64()*0.5-0.25)
	}
	// Ink: patchy at the scale of a millimetre, lighter on one side where the
	// stamp was pressed less.
	fine := newNoise2(rng, bounds.Dx(), bounds.Dy(), 0.8*mm)
	coarse := newNoise2(rng, bounds.Dx(), bounds.Dy(), 6*mm)
	tilt := rng.Float64() * 2 * math.Pi
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			i := layer.PixOffset(x, y)
			if layer.Pix[i] == 0 {
				continue
			}
			lx, ly := float64(x-bounds.Min.X), float64(y-bounds.Min.Y)
			side := 0.88 + 0.12*math.Cos(math.Atan2(float64(y)-cy, float64(x)-cx)-tilt)
			tex := clamp01(0.45 + 0.45*fine.at(lx, ly) + 0.35*coarse.at(lx, ly))
			setMax(m, x, y, float64(layer.Pix[i])/255*tex*side)
		}
	}
}

// ringText sets text clockwise around a circle whose glyph baselines have
// radius rb, tops outward, starting at the lower left and leaving the
// bottom of the ring free.
func ringText(fs *fonts, m *image.Alpha, cx, cy, rb float64, text string, dpi int, turn float64) {
	f := fs.face(bold, 8, dpi)
	runes := []rune(text)
	adv := make([]float64, len(runes))
	total := 0.0
	for i, r := range runes {
		a, _ := f.GlyphAdvance(r)
		adv[i] = float64(a) / 64
		total += adv[i]
	}
	span := 300.0 * math.Pi / 180
	perPx := span / total
	cum := 0.0
	for i, r := range runes {
		phi := -span/2 + (cum+adv[i]/2)*perPx + turn
		cum += adv[i]
		if r == ' ' {
			continue
		}
		dr, mask, mp, _, ok := f.Glyph(fixed.Point26_6{}, r)
		if !ok {
			continue
		}
		px, py := cx+rb*math.Sin(phi), cy-rb*math.Cos(phi)
		tx, ty := math.Cos(phi), math.Sin(phi)
		reach := float64(max(dr.Dx(), dr.Dy())) + adv[i]
		for y := int(py - reach); y <= int(py+reach); y++ {
			for x := int(px - reach); x <= int(px+reach); x++ {
				dx, dy := float64(x)+0.5-px, float64(y)+0.5-py
				u := dx*tx + dy*ty + adv[i]/2
				v := -dx*ty + dy*tx
				a := sampleMask(mask, mp, dr, u, v)
				setMax(m, x, y, a)
			}
		}
	}
}

// sampleMask reads a glyph mask bilinearly at glyph-space point (u, v),
// where the glyph's origin (dot) is (0, 0).
func sampleMask(mask image.Image, mp image.Point, dr image.Rectangle, u, v float64) float64 {
	fx := u - float64(dr.Min.X) + float64(mp.X) - 0.5
	fy := v - float64(dr.Min.Y) + float64(mp.Y) - 0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	ax, ay := fx-float64(x0), fy-float64(y0)
	get := func(x, y int) float64 {
		if x < mp.X || y < mp.Y || x >= mp.X+dr.Dx() || y >= mp.Y+dr.Dy() {
			return 0
		}
		_, _, _, a := mask.At(x, y).RGBA()
		return float64(a) / 0xffff
	}
	return (get(x0, y0)*(1-ax)+get(x0+1, y0)*ax)*(1-ay) + (get(x0, y0+1)*(1-ax)+get(x0+1, y0+1)*ax)*ay
}

// drawSignature scribbles a ballpoint signature inside the box: a looping
// run of letters drifting along a slanted baseline, then a long flourish
// back under it.
func drawSignature(m *image.Alpha, rng *rand.Rand, x0, y0, x1, y1 float64, dpi int) {
	mm := float64(dpi) / 25.4
	w, h := x1-x0, y1-y0
	loops := 5 + rng.IntN(5)
	slope := (rng.Float64() - 0.3) * 0.25
	// Each loop has its own height and width, as handwritten letters do.
	heights, widths := make([]float64, loops+2), make([]float64, loops+2)
	for i := range heights {
		heights[i] = 0.25 + 0.75*rng.Float64()
		widths[i] = 0.02 + 0.05*rng.Float64()
	}
	per := func(v []float64, t float64) float64 {
		f := t * float64(loops)
		i := min(int(f), loops)
		return v[i] + (v[i+1]-v[i])*smooth(f-float64(i))
	}
	phase := rng.Float64() * 2 * math.Pi
	pen := 0.2*mm + rng.Float64()*0.08*mm
	stroke := func(n int, at func(t float64) (float64, float64)) {
		lx, ly := math.Inf(1), math.Inf(1)
		for i := 0; i <= n; i++ {
			t := float64(i) / float64(n)
			x, y := at(t)
			if math.Hypot(x-lx, y-ly) < 0.35 {
				continue
			}
			// A ballpoint thins where the hand moves fast and at the ends.
			end := math.Min(1, math.Min(t, 1-t)*12+0.35)
			fillDisc(m, x, y, pen*end, 0.92)
			lx, ly = x, y
		}
	}
	cy := y0 + h*0.55
	// The initial: a tall loop, as most signatures open with a capital.
	iw, ih := 0.05+0.06*rng.Float64(), 0.25+0.2*rng.Float64()
	stroke(6000, func(t float64) (float64, float64) {
		a := 2*math.Pi*t*1.1 + math.Pi/2
		return x0 + w*0.12 + w*iw*math.Cos(a), cy - h*0.3 + h*ih*math.Sin(a)
	})
	// The body: loops moving right.
	stroke(30000, func(t float64) (float64, float64) {
		a := 2 * math.Pi * float64(loops) * t
		x := x0 + w*(0.1+0.72*t) + w*per(widths, t)*math.Cos(a+phase)
		y := cy - slope*w*t - h*0.3*per(heights, t)*math.Sin(a)
		return x, y
	})
	// The flourish: from the end back left, dipping under the name.
	sx, sy := x0+w*0.82, cy-slope*w
	ex, ey := x0+w*(0.05+rng.Float64()*0.15), cy+h*(0.2+rng.Float64()*0.15)
	kx, ky := x0+w*(0.9+rng.Float64()*0.1), cy+h*0.45
	stroke(12000, func(t float64) (float64, float64) {
		u := 1 - t
		return u*u*sx + 2*u*t*kx + t*t*ex, u*u*sy + 2*u*t*ky + t*t*ey
	})
}
