package scanset

import (
	"image"
	"math"
	"math/rand/v2"
)

// Conventions, shared with testdata/README.md and catalog.json:
//
//   - skew is the angle, in degrees, by which the page content was turned
//     counter-clockwise as seen on screen (y down). Positive is
//     counter-clockwise. To straighten, turn clockwise by skew.
//   - rotation is a clockwise quarter turn (0, 90, 180, 270) applied to the
//     already skewed page: a page fed sideways or upside down. The reader
//     must turn the image counter-clockwise by rotation, then undo skew.

var (
	jpegNoise  = 1.3
	grainNoise = 2.5
	grainShare = 0.01
)

// scanSpec says how a typeset page goes through the scanner.
type scanSpec struct {
	skew     float64
	rotation int
	color    bool
	lossless bool    // PNG or TIFF output: keep grain that deflate can pack
	show     float64 // strength of show-through from the back, 0 for none
	specks   int     // dust specks

	// The hard set's degradations; their zero values leave a page as the
	// fixtures and benchmark pages are scanned.
	sigma  float64    // dense sensor noise in 8-bit levels, lossless or not (0: the defaults above)
	salt   float64    // share of pixels hit by salt-and-pepper specks
	shift  [2]float64 // the sheet's offset on the glass in mm, right and down: the uncovered glass shows as the lid's dark border
	light  float64    // depth of uneven light, 0 to 1: the darkest corner's share of light lost
	soft   int        // extra passes of blur: a phone camera's optics
	screen float64    // a capture's width over height when the page sits letterboxed in it (0: none)
}

// planes holds a page as light reflected, 0 (black) to 1 (white), one
// float plane per channel: one for grey, three for RGB.
type planes struct {
	w, h int
	p    [][]float32
}

func newPlanes(w, h, c int) *planes {
	pl := &planes{w: w, h: h, p: make([][]float32, c)}
	for i := range pl.p {
		pl.p[i] = make([]float32, w*h)
		for j := range pl.p[i] {
			pl.p[i][j] = 1
		}
	}
	return pl
}

// inks: reflectance of each ink per channel and how fully it covers.
var (
	tonerInk = [3]float32{0.09, 0.09, 0.10}
	sealInk  = [3]float32{0.86, 0.17, 0.21}
	penInk   = [3]float32{0.16, 0.24, 0.64}
)

func luminance(c [3]float32) float32 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }

// scan turns a typeset page into what a desk scanner returns: the back of
// the sheet showing through, the sheet laid crooked (skew) and perhaps
// turned, the paper's tone, the optics' blur and the sensor's noise.
func scan(s *sheet, back *image.Alpha, spec scanSpec, rng *rand.Rand) image.Image {
	c := 1
	if spec.color {
		c = 3
	}
	pl := newPlanes(s.w, s.h, c)
	pl.ink(s.ink, tonerInk, 1)
	if s.red != nil {
		pl.ink(s.red, sealInk, 0.92)
	}
	if s.blue != nil {
		pl.ink(s.blue, penInk, 0.9)
	}
	if back != nil && spec.show > 0 {
		pl.showThrough(back, spec.show, s.dpi)
	}
	for i := 0; i < spec.specks; i++ {
		pl.speck(rng, s.dpi)
	}
	if spec.skew != 0 {
		pl = pl.rotate(spec.skew)
	}
	if spec.shift != [2]float64{} {
		pl = pl.lid(rng, spec.skew, spec.shift, s.dpi)
	}
	if spec.screen > 0 {
		pl = pl.letterbox(rng, spec.screen)
	}
	pl = pl.quarterTurns(spec.rotation)
	pl.paper(rng, s.dpi)
	if spec.light > 0 {
		pl.unevenLight(rng, spec.light)
	}
	pl.blur()
	for i := 0; i < spec.soft; i++ {
		pl.blur()
	}
	if spec.salt > 0 {
		pl.saltAndPepper(rng, spec.salt)
	}
	sigma, sparse := jpegNoise, false
	if spec.lossless {
		sigma, sparse = grainNoise, true
	}
	if spec.sigma > 0 {
		sigma, sparse = spec.sigma, false
	}
	return pl.quantize(rng, sigma, sparse)
}

// ink lays one ink over the page where the mask covers it. Inks multiply,
// as they do on paper: blue pen over black type stays black.
func (pl *planes) ink(m *image.Alpha, col [3]float32, opacity float32) {
	cols := col[:]
	if len(pl.p) == 1 {
		cols = []float32{luminance(col)}
	}
	for i, a := range m.Pix {
		if a == 0 {
			continue
		}
		k := float32(a) / 255 * opacity
		for ch, cv := range cols {
			pl.p[ch][i] *= 1 - k*(1-cv)
		}
	}
}

// showThrough darkens the page faintly with the back's type, mirrored left
// to right and spread by the paper.
func (pl *planes) showThrough(back *image.Alpha, strength float64, dpi int) {
	b := make([]float32, pl.w*pl.h)
	for y := 0; y < pl.h; y++ {
		row := back.Pix[y*back.Stride:]
		for x := 0; x < pl.w; x++ {
			b[y*pl.w+x] = float32(row[pl.w-1-x]) / 255
		}
	}
	r := max(1, dpi/60)
	boxBlur(b, pl.w, pl.h, r)
	boxBlur(b, pl.w, pl.h, r)
	boxBlur(b, pl.w, pl.h, r)
	k := float32(strength)
	for _, p := range pl.p {
		for i := range p {
			p[i] *= 1 - k*b[i]
		}
	}
}

// boxBlur averages each pixel with its neighbours within r, rows then
// columns.
func boxBlur(p []float32, w, h, r int) {
	line := make([]float32, max(w, h))
	pass := func(n, stride, count, step int) {
		for k := 0; k < count; k++ {
			base := k * step
			var sum float32
			for i := -r; i <= r; i++ {
				sum += p[base+stride*min(max(i, 0), n-1)]
			}
			for i := 0; i < n; i++ {
				line[i] = sum / float32(2*r+1)
				out := min(max(i-r, 0), n-1)
				in := min(i+r+1, n-1)
				sum += p[base+stride*in] - p[base+stride*out]
			}
			for i := 0; i < n; i++ {
				p[base+stride*i] = line[i]
			}
		}
	}
	pass(w, 1, h, w)
	pass(h, w, w, 1)
}

// speck drops a small irregular dark blob: dust on the glass or a crumb of
// toner.
func (pl *planes) speck(rng *rand.Rand, dpi int) {
	mm := float64(dpi) / 25.4
	cx, cy := rng.Float64()*float64(pl.w), rng.Float64()*float64(pl.h)
	r := (0.15 + rng.Float64()*0.45) * mm
	dark := float32(0.25 + rng.Float64()*0.35)
	lobes := [3]float64{rng.Float64() * 6, rng.Float64() * 6, rng.Float64() * 6}
	for y := int(cy - 2*r); y <= int(cy+2*r); y++ {
		for x := int(cx - 2*r); x <= int(cx+2*r); x++ {
			if x < 0 || y < 0 || x >= pl.w || y >= pl.h {
				continue
			}
			dx, dy := float64(x)-cx, float64(y)-cy
			a := math.Atan2(dy, dx)
			edge := r * (1 + 0.25*math.Sin(2*a+lobes[0]) + 0.15*math.Sin(3*a+lobes[1]) + 0.1*math.Sin(5*a+lobes[2]))
			cov := float32(clamp01(edge + 0.5 - math.Hypot(dx, dy)))
			for _, p := range pl.p {
				p[y*pl.w+x] *= 1 - cov*(1-dark)
			}
		}
	}
}

// rotate turns the content counter-clockwise (on screen) by deg about the
// page centre, sampling bilinearly; what comes in from outside the sheet is
// white, as a scanner lid is.
func (pl *planes) rotate(deg float64) *planes {
	out := &planes{w: pl.w, h: pl.h, p: make([][]float32, len(pl.p))}
	for i := range out.p {
		out.p[i] = make([]float32, pl.w*pl.h)
	}
	th := deg * math.Pi / 180
	cos, sin := math.Cos(th), math.Sin(th)
	cx, cy := float64(pl.w)/2, float64(pl.h)/2
	for y := 0; y < pl.h; y++ {
		dy := float64(y) + 0.5 - cy
		for x := 0; x < pl.w; x++ {
			dx := float64(x) + 0.5 - cx
			// Inverse of the forward turn (x, y) -> (x cos + y sin, -x sin + y cos).
			sx := dx*cos - dy*sin + cx - 0.5
			sy := dx*sin + dy*cos + cy - 0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			ax, ay := float32(sx-float64(x0)), float32(sy-float64(y0))
			for ch, p := range pl.p {
				get := func(x, y int) float32 {
					if x < 0 || y < 0 || x >= pl.w || y >= pl.h {
						return 1
					}
					return p[y*pl.w+x]
				}
				v := (get(x0, y0)*(1-ax)+get(x0+1, y0)*ax)*(1-ay) + (get(x0, y0+1)*(1-ax)+get(x0+1, y0+1)*ax)*ay
				out.p[ch][y*pl.w+x] = v
			}
		}
	}
	return out
}

// quarterTurns turns the page clockwise by deg (0, 90, 180 or 270).
func (pl *planes) quarterTurns(deg int) *planes {
	if deg == 0 {
		return pl
	}
	w, h := pl.w, pl.h
	out := &planes{w: w, h: h, p: make([][]float32, len(pl.p))}
	if deg == 90 || deg == 270 {
		out.w, out.h = h, w
	}
	for ch, p := range pl.p {
		q := make([]float32, w*h)
		for y := 0; y < out.h; y++ {
			for x := 0; x < out.w; x++ {
				var sx, sy int
				switch deg {
				case 90:
					sx, sy = y, h-1-x
				case 180:
					sx, sy = w-1-x, h-1-y
				case 270:
					sx, sy = w-1-y, x
				default:
					panic("rotation must be a quarter turn")
				}
				q[y*out.w+x] = p[sy*w+sx]
			}
		}
		out.p[ch] = q
	}
	return out
}

// paper gives the sheet its off-white, slightly warm tone, mottled at the
// scale of centimetres, with the lamp a little brighter on one side.
func (pl *planes) paper(rng *rand.Rand, dpi int) {
	mm := float64(dpi) / 25.4
	tone := [3]float64{0.962, 0.950, 0.915}
	shift := (rng.Float64() - 0.5) * 0.02
	mottle := newNoise2(rng, pl.w, pl.h, 28*mm)
	gx, gy := rng.Float64()-0.5, rng.Float64()-0.5
	row := make([]float32, pl.w)
	for y := 0; y < pl.h; y++ {
		for x := 0; x < pl.w; x++ {
			row[x] = float32(1 + shift + 0.018*(mottle.at(float64(x), float64(y))-0.5) +
				0.012*(gx*float64(x)/float64(pl.w)+gy*float64(y)/float64(pl.h)))
		}
		for ch, p := range pl.p {
			t := float32(tone[ch])
			if len(pl.p) == 1 {
				t = float32(0.299*tone[0] + 0.587*tone[1] + 0.114*tone[2])
			}
			for x := 0; x < pl.w; x++ {
				p[y*pl.w+x] *= t * row[x]
			}
		}
	}
}

// blur is the slight softness of scanner optics: a [1 4 1]/6 kernel across
// and down.
func (pl *planes) blur() {
	for _, p := range pl.p {
		tmp := make([]float32, len(p))
		for y := 0; y < pl.h; y++ {
			for x := 0; x < pl.w; x++ {
				l, r := max(x-1, 0), min(x+1, pl.w-1)
				tmp[y*pl.w+x] = (p[y*pl.w+l] + 4*p[y*pl.w+x] + p[y*pl.w+r]) / 6
			}
		}
		for y := 0; y < pl.h; y++ {
			u, d := max(y-1, 0), min(y+1, pl.h-1)
			for x := 0; x < pl.w; x++ {
				p[y*pl.w+x] = (tmp[u*pl.w+x] + 4*tmp[y*pl.w+x] + tmp[d*pl.w+x]) / 6
			}
		}
	}
}

// quantize adds sensor noise (sigma in 8-bit levels) and rounds to 8 bits.
// Noise is mostly shared by the channels, as a scanner's is. Lossless
// outputs get sparse grain instead, in 2x2 specks on a few per cent of the
// page: dense noise would make every 300 dpi PNG or TIFF page megabytes,
// more than a repository should carry.
func (pl *planes) quantize(rng *rand.Rand, sigma float64, sparse bool) image.Image {
	noise := func(x, y int) float64 { return rng.NormFloat64() * sigma }
	if sparse {
		cw := (pl.w + 1) / 2
		grain := make([]float32, cw*((pl.h+1)/2))
		for i := range grain {
			if rng.Float64() < grainShare {
				grain[i] = float32(rng.NormFloat64() * sigma)
			}
		}
		noise = func(x, y int) float64 { return float64(grain[(y/2)*cw+x/2]) }
	}
	to8 := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
	r := image.Rect(0, 0, pl.w, pl.h)
	if len(pl.p) == 1 {
		img := image.NewGray(r)
		for y := 0; y < pl.h; y++ {
			for x := 0; x < pl.w; x++ {
				img.Pix[y*img.Stride+x] = to8(float64(pl.p[0][y*pl.w+x])*255 + noise(x, y))
			}
		}
		return img
	}
	chroma := sigma * 0.4
	if sparse {
		chroma = 0
	}
	img := image.NewRGBA(r)
	for y := 0; y < pl.h; y++ {
		for x := 0; x < pl.w; x++ {
			n := noise(x, y)
			o := y*img.Stride + 4*x
			for ch := 0; ch < 3; ch++ {
				v := float64(pl.p[ch][y*pl.w+x])*255 + n
				if chroma > 0 {
					v += rng.NormFloat64() * chroma
				}
				img.Pix[o+ch] = to8(v)
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// fits reports whether every printed line stays on the image, with a
// millimetre to spare, once the content is turned by the spec's skew and
// the sheet moved by its shift.
func fits(s *sheet, spec scanSpec) bool {
	th := spec.skew * math.Pi / 180
	cos, sin := math.Cos(th), math.Sin(th)
	cx, cy := float64(s.w)/2, float64(s.h)/2
	m := float64(s.dpi) / 25.4
	sx, sy := spec.shift[0]*m, spec.shift[1]*m
	for _, b := range s.boxes {
		for _, p := range []image.Point{b.Min, {b.Max.X, b.Min.Y}, {b.Min.X, b.Max.Y}, b.Max} {
			dx, dy := float64(p.X)-cx, float64(p.Y)-cy
			x, y := dx*cos+dy*sin+cx+sx, -dx*sin+dy*cos+cy+sy
			if x < m || y < m || x > float64(s.w)-m || y > float64(s.h)-m {
				return false
			}
		}
	}
	return true
}
