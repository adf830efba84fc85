package raster

import (
	"image"
	"math"
	"math/bits"
)

// AnalysisDPI is the resolution orientation and skew are measured at. At
// 150 dpi an A4 line of text is ~1200 px long, so a 0.05° tilt moves its end
// by a pixel, enough to find the angle to better than 0.1°, while the
// measurement touches a quarter of a 300-dpi page's pixels.
const AnalysisDPI = 150

// Thumbnail returns g reduced by averaging f×f blocks, f being the whole
// factor that brings dpi nearest AnalysisDPI (300 dpi → 2, 200 dpi → 1,
// 600 dpi → 4), and f. Whole factors keep it one pass over the page with
// no filter weights: it runs on every page, before anything else.
func Thumbnail(g *image.Gray, dpi float64) (*image.Gray, int) {
	f := max(1, int(math.Round(dpi/AnalysisDPI)))
	if f == 1 {
		return g, 1
	}
	b := g.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewGray(image.Rect(0, 0, w, h))
	if f == 2 { // 300 dpi, the common case: two rows at a time
		for ty := 0; ty < h; ty++ {
			r0 := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+2*ty):][:2*w]
			r1 := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+2*ty+1):][:2*w]
			orow := out.Pix[ty*out.Stride:][:w]
			for tx := range orow {
				i := 2 * tx
				orow[tx] = uint8((uint32(r0[i]) + uint32(r0[i+1]) + uint32(r1[i]) + uint32(r1[i+1]) + 2) >> 2)
			}
		}
		return out, f
	}
	sums := make([]uint32, w)
	area := uint32(f * f)
	for ty := 0; ty < h; ty++ {
		clear(sums)
		for dy := 0; dy < f; dy++ {
			row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+ty*f+dy):][:w*f]
			for tx := range sums {
				var s uint32
				for _, v := range row[tx*f : tx*f+f] {
					s += uint32(v)
				}
				sums[tx] += s
			}
		}
		orow := out.Pix[ty*out.Stride:][:w]
		for x := range orow {
			orow[x] = uint8(sums[x] / area)
		}
	}
	return out, f
}

// Ink is the dark pixels of an analysis image: the text, lines, seals and
// signatures whose geometry tells how the page lies.
type Ink struct {
	W, H int
	X, Y []int32
	// LX, LY are the ink of letter-sized blobs and longer: without the
	// specks, tone marks and form-leader dots, whose regular rows and
	// columns can outscore the text lines when the tilt is measured.
	LX, LY []int32
	// Contrast is the difference in gray level between the mean paper and
	// the print's black (blackLevel). A blank page (paper, noise, a little
	// show-through) has low contrast and Ink finds nothing on it.
	Contrast float64
	// Threshold is the gray level at or below which a pixel is ink.
	Threshold uint8
	// Faint is set when the ink as a whole (Otsu's darker class, the
	// strokes' soft edges with them) lies within MinInkContrast of the
	// paper, though its black does not: print faded to a third of its
	// strength, or the back of a blank page showing through it strongly.
	// Only reading the page tells which.
	Faint bool
}

// Fraction is the share of the image's pixels that are ink.
func (k *Ink) Fraction() float64 {
	if k.W == 0 || k.H == 0 {
		return 0
	}
	return float64(len(k.X)) / float64(k.W*k.H)
}

// MinInkContrast is the paper-to-ink gray difference below which a page is
// taken to carry no ink at all. Printed and handwritten text differs from
// paper by 100 levels or more; show-through and paper texture by less than 50.
const MinInkContrast = 60

// Contrast returns Otsu's threshold of hist, a page's histogram, and the
// page's contrast: the mean of its paper (Otsu's lighter class) less its
// print's black (blackLevel). Not less the mean of Otsu's darker class:
// that takes in the letters' soft edges, and on print faded to a third
// of its strength (an old photocopy, thermal paper) it lies within
// MinInkContrast of the paper while the strokes are 75 levels under it;
// faint says so (Ink.Faint). Paper's noise and show-through have no black
// to speak of.
func Contrast(hist *[256]int) (t int, contrast float64, faint bool) {
	t, inkMean, paperMean := Otsu(hist)
	return t, paperMean - float64(blackLevel(hist, t)), paperMean-inkMean < MinInkContrast
}

// FindInk binarises g, whose resolution is dpi, with Otsu's threshold.
// Global thresholding suits flatbed scans, which are evenly lit; the
// threshold only needs to separate text from paper well enough to measure
// angles, not to be read.
func FindInk(g *image.Gray, dpi float64) *Ink {
	b := g.Bounds()
	k := &Ink{W: b.Dx(), H: b.Dy()}
	var hist [256]int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()]
		for _, v := range row {
			hist[v]++
		}
	}
	t, contrast, faint := Contrast(&hist)
	k.Threshold, k.Contrast, k.Faint = uint8(t), contrast, faint
	if k.Contrast < MinInkContrast {
		return k
	}
	// Letters of 10-pt type and up are over 1.2 mm tall; a row of rule is
	// long. Dots, specks and tone marks are neither.
	minH := int32(math.Ceil(dpi * 1.2 / 25.4))
	minW := int32(math.Ceil(dpi * 4 / 25.4))
	runs, blobs, of := components(g, k.Threshold)
	n := 0
	for _, r := range runs {
		n += int(r.x1 - r.x0 + 1)
	}
	k.X, k.Y = make([]int32, 0, n), make([]int32, 0, n)
	k.LX, k.LY = make([]int32, 0, n), make([]int32, 0, n)
	for i, r := range runs {
		bl := blobs[of[i]]
		letter := bl.y1-bl.y0+1 >= minH || bl.x1-bl.x0+1 >= minW
		for x := r.x0; x <= r.x1; x++ {
			k.X = append(k.X, x)
			k.Y = append(k.Y, r.y)
			if letter {
				k.LX = append(k.LX, x)
				k.LY = append(k.LY, r.y)
			}
		}
	}
	return k
}

// Otsu returns the threshold maximising between-class variance and the mean
// gray level of each class.
func Otsu(hist *[256]int) (t int, lowMean, highMean float64) {
	var total, sum float64
	for v, n := range hist {
		total += float64(n)
		sum += float64(v * n)
	}
	var wLow, sumLow, best float64
	for v := 0; v < 255; v++ {
		wLow += float64(hist[v])
		sumLow += float64(v * hist[v])
		wHigh := total - wLow
		if wLow == 0 || wHigh == 0 {
			continue
		}
		ml, mh := sumLow/wLow, (sum-sumLow)/wHigh
		if bv := wLow * wHigh * (ml - mh) * (ml - mh); bv > best {
			best, t, lowMean, highMean = bv, v, ml, mh
		}
	}
	return t, lowMean, highMean
}

// Layout is how the ink lies on the page.
type Layout struct {
	// Turns is the number of clockwise quarter turns that bring the text
	// upright (0-3).
	Turns int
	// Skew is the angle in degrees, counter-clockwise as seen, by which the
	// text lines are tilted once the quarter turns are applied; rotating by
	// -Skew straightens them.
	Skew float64
	// UpConfidence is how clearly the text reads one way up rather than the
	// other, from 0 (no evidence) to 1.
	UpConfidence float64
	// axis is the coarse search's sharpest profile with lines across the
	// page (0) and down it (1), kept for Assess, which would otherwise
	// search again (0, 0: not measured).
	axis [2]float64
}

// MaxSkew is the largest tilt searched for, in degrees.
const MaxSkew = 15.0

// Measure finds the page's quarter-turn orientation and skew from its ink.
//
// Text lines make the ink's projection across them a comb of sharp peaks;
// the projection is sharpest when taken exactly along the lines. Measure
// scores projections over ±MaxSkew for the page as it is and turned a
// quarter, which gives both whether lines run across or down the page and
// their tilt. Which way is up comes from the lines' profile: Latin script,
// and Vietnamese with its stacked tone marks even more, has far more ink
// above the x-height band (ascenders, capitals, marks) than below it.
func Measure(k *Ink) Layout {
	if len(k.LX) == 0 {
		return Layout{}
	}
	// Coarse search, both axes, in 1° steps on the letters' ink pooled
	// into 4×4 cells: at a quarter of the resolution a text line's peak is
	// four times as wide in angle, so a step cannot step over it, and the
	// points are few. (A strided sample of the pixels would not do: it
	// aliases with the rows and makes the profile across columns look
	// sharp.) Then 0.25° steps within a degree of the best, on 2×2 cells.
	cx, cy, cw := pool(k.LX, k.LY, k.W, k.H, 4)
	turned := make([]int32, len(cx)) // x of each cell once turned clockwise
	for i := range cx {
		turned[i] = int32((k.H+3)/4) - cy[i]
	}
	bestScore, bestAngle, bestTurn := -1.0, 0.0, 0
	var axis [2]float64
	for _, tc := range []struct {
		turn int
		x, y []int32
	}{{0, cx, cy}, {1, turned, cx}} {
		for a := -MaxSkew; a <= MaxSkew+1e-9; a++ {
			s := profileScore(tc.x, tc.y, cw, a)
			axis[tc.turn] = math.Max(axis[tc.turn], s)
			if s > bestScore {
				bestScore, bestAngle, bestTurn = s, a, tc.turn
			}
		}
	}
	// Fine search in the winning frame; which way is up is judged on all
	// the ink, tone marks above all.
	frame := func(x, y []int32) ([]int32, []int32) {
		if bestTurn == 0 {
			return x, y
		}
		tx := make([]int32, len(x))
		for i := range x {
			tx[i] = int32(k.H) - y[i]
		}
		return tx, x
	}
	x, y := frame(k.LX, k.LY)
	fw, fh := k.W, k.H
	if bestTurn == 1 {
		fw, fh = k.H+1, k.W
	}
	px, py, pw := pool(x, y, fw, fh, 2)
	angle := bestAngle
	best := -1.0
	for a := bestAngle - 1; a <= bestAngle+1+1e-9; a += 0.25 {
		if s := profileScore(px, py, pw, a); s > best {
			best, angle = s, a
		}
	}
	angle = refine(x, y, angle)
	x, y = frame(k.X, k.Y)
	up := upEvidence(x, y, angle)
	l := Layout{Turns: bestTurn, Skew: angle, UpConfidence: math.Abs(up), axis: axis}
	if up < 0 {
		l.Turns += 2
	}
	return l
}

// pool counts the points of a w×h image into f×f cells and returns the
// occupied cells with their counts as weights.
func pool(x, y []int32, w, h, f int) (px, py, pw []int32) {
	cw, ch := (w+f-1)/f, (h+f-1)/f
	grid := make([]int32, cw*ch)
	if f&(f-1) == 0 { // a power of two, as Measure's are: shifts, not divisions
		s := bits.TrailingZeros(uint(f))
		for i := range x {
			grid[int(y[i])>>s*cw+int(x[i])>>s]++
		}
	} else {
		for i := range x {
			grid[int(y[i])/f*cw+int(x[i])/f]++
		}
	}
	cells := 0
	for _, n := range grid {
		if n > 0 {
			cells++
		}
	}
	px, py, pw = make([]int32, 0, cells), make([]int32, 0, cells), make([]int32, 0, cells)
	for cy := range ch {
		for cx, n := range grid[cy*cw : (cy+1)*cw] {
			if n > 0 {
				px = append(px, int32(cx))
				py = append(py, int32(cy))
				pw = append(pw, n)
			}
		}
	}
	return px, py, pw
}

// refine searches ±0.2° around an angle in 0.05° steps, then fits a
// parabola through the best step and its neighbours for the sub-step peak.
func refine(x, y []int32, coarse float64) float64 {
	const step = 0.05
	n := int(math.Round(0.2 / step))
	scores := make([]float64, 2*n+1)
	best := n
	for i := range scores {
		scores[i] = profileScore(x, y, nil, coarse+float64(i-n)*step)
		if scores[i] > scores[best] {
			best = i
		}
	}
	a := coarse + float64(best-n)*step
	if best > 0 && best < len(scores)-1 {
		l, c, r := scores[best-1], scores[best], scores[best+1]
		if d := l - 2*c + r; d < 0 {
			a += step * 0.5 * (l - r) / d
		}
	}
	return a
}

// profileScore projects the points (weighted by w, or 1 each when w is
// nil) across lines tilted by deg into one-pixel bins and sums the squared
// differences of neighbouring bins: large when the profile is a comb of
// sharp line peaks, small when the lines are smeared.
func profileScore(x, y, w []int32, deg float64) float64 {
	bins := profile(x, y, w, deg)
	var s float64
	for i := 1; i < len(bins); i++ {
		d := float64(bins[i] - bins[i-1])
		s += d * d
	}
	return s
}

// profile projects the points across lines tilted by deg (counter-
// clockwise as seen) into one-pixel bins.
func profile(x, y, w []int32, deg float64) []int32 {
	if len(x) == 0 {
		return nil
	}
	sin, cos := math.Sincos(deg * math.Pi / 180)
	// A line tilted counter-clockwise rises to the right (y falls), so
	// y·cos + x·sin is constant along it. The key range follows from the
	// points' bounding box, which saves a pass to find it.
	var x0, x1, y0, y1 int32 = x[0], x[0], y[0], y[0]
	for i := range x {
		x0, x1 = min(x0, x[i]), max(x1, x[i])
		y0, y1 = min(y0, y[i]), max(y1, y[i])
	}
	lo := math.Inf(1)
	hi := math.Inf(-1)
	for _, c := range [][2]int32{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		k := float64(c[1])*cos + float64(c[0])*sin
		lo, hi = math.Min(lo, k), math.Max(hi, k)
	}
	off := math.Floor(lo)
	bins := make([]int32, int(hi-off)+2)
	if w == nil {
		for i := range x {
			bins[int(float64(y[i])*cos+float64(x[i])*sin-off)]++
		}
	} else {
		for i := range x {
			bins[int(float64(y[i])*cos+float64(x[i])*sin-off)] += w[i]
		}
	}
	return bins
}

// upEvidence returns (above-below)/(above+below) summed over the text
// lines found in the profile at angle deg: positive when the page reads
// upright, negative when upside down.
func upEvidence(x, y []int32, deg float64) float64 {
	bins := profile(x, y, nil, deg)
	if len(bins) == 0 {
		return 0
	}
	// A bin belongs to a line when it holds a meaningful share of a full
	// line's ink; the share is taken against a high percentile so that one
	// long rule does not set the scale. Tone marks float a pixel or two
	// above the letters, so short gaps do not end a line.
	ref := percentile(bins, 0.95)
	thr := max(2, ref/20)
	const maxGap = 3
	var above, below float64
	for i := 0; i < len(bins); {
		if bins[i] < thr {
			i++
			continue
		}
		j, gap := i, 0
		for k := i; k < len(bins) && gap <= maxGap; k++ {
			if bins[k] >= thr {
				j, gap = k+1, 0
			} else {
				gap++
			}
		}
		a, b := lineBalance(bins, i, j)
		above += a
		below += b
		i = j
	}
	if above+below == 0 {
		return 0
	}
	return (above - below) / (above + below)
}

// lineBalance finds the core band of the line in bins[from:to], the rows
// around its peak that hold at least half the peak's ink (the x-height),
// and returns the ink in equal windows just above and just below it. The
// windows are shorter than the core, so they reach ascenders, marks and
// descenders but not the neighbouring lines.
func lineBalance(bins []int32, from, to int) (above, below float64) {
	if to-from < 4 {
		return 0, 0
	}
	peak := from
	for i := from; i < to; i++ {
		if bins[i] > bins[peak] {
			peak = i
		}
	}
	half := bins[peak] / 2
	top, bot := peak, peak
	for top > from && bins[top-1] >= half {
		top--
	}
	for bot < to-1 && bins[bot+1] >= half {
		bot++
	}
	win := max(2, (bot-top+1)*7/10)
	for i := max(0, top-win); i < top; i++ {
		above += float64(bins[i])
	}
	for i := bot + 1; i <= min(len(bins)-1, bot+win); i++ {
		below += float64(bins[i])
	}
	return above, below
}

func percentile(v []int32, p float64) int32 {
	var nz []int32
	for _, x := range v {
		if x > 0 {
			nz = append(nz, x)
		}
	}
	if len(nz) == 0 {
		return 0
	}
	// Selection would do, but profiles are a few thousand bins.
	sortInt32(nz)
	return nz[min(len(nz)-1, int(p*float64(len(nz))))]
}
