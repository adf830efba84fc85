package raster

import (
	"image"
	"math"
)

// The geometric estimate (Measure) is cheap and exact about tilt, but which
// way up a page reads is a subtler signal: the balance of ink above and
// below each line's x-height band. Ruled tables, seals, specks, borders and
// show-through all add ink that is not letters, and can tip it. This file
// gives the orient stage what it needs to check the estimate by reading:
// how clearly the geometry decided, the layout under a forced line
// direction, and the candidate turns drawn for a reader to try.

// Evidence is how clearly the geometry decided, beside its Layout.
type Evidence struct {
	// Axis is how much sharper the text lines' profile is along the chosen
	// direction than across it: (best - other) / best, 0 to 1. Pages of
	// prose score 0.5 and more; tables, whose rules and columns line up
	// both ways, much less.
	Axis float64
	// Up is Layout.UpConfidence: the ink balance about the x-height bands.
	Up float64
	// Specks is the share of the ink in blobs smaller than a letter: dust,
	// noise and JPEG mosquitoes, which blur both measurements.
	Specks float64
	// Lines is the number of text lines found across the chosen direction.
	Lines int
	// Edge is the share of the ink within 3 % of the page's size from its
	// edges, where a printed page has only margin: a dark scanner-lid
	// border, a shadow or the next page's edge, which outweighs the text
	// in both measurements.
	Edge float64
}

// Assess measures how clearly the geometry of k decided l (l being
// Measure(k)).
func Assess(k *Ink, l Layout) Evidence {
	e := Evidence{Up: l.UpConfidence}
	if len(k.X) == 0 {
		return e
	}
	e.Specks = 1 - float64(len(k.LX))/float64(len(k.X))
	m := int32(max(1, min(k.W, k.H)*3/100))
	w, h := int32(k.W), int32(k.H)
	edge := 0
	for i, x := range k.X {
		if y := k.Y[i]; x < m || y < m || x >= w-m || y >= h-m {
			edge++
		}
	}
	e.Edge = float64(edge) / float64(len(k.X))
	if len(k.LX) == 0 {
		return e
	}
	s := l.axis
	if s == [2]float64{} {
		s = axisScores(k)
	}
	best, other := s[l.Turns%2], s[1-l.Turns%2]
	if best > 0 {
		e.Axis = math.Max(0, (best-other)/best)
	}
	x, y := k.LX, k.LY
	if l.Turns%2 == 1 {
		x, y = turnPoints(k.LX, k.LY, k.H)
	}
	e.Lines = countLines(profile(x, y, nil, l.Skew))
	return e
}

// axisScores returns the sharpest line profile over ±MaxSkew with lines
// running across the page (index 0) and down it (index 1), on the letters'
// ink pooled in 4×4 cells, as Measure's coarse search does.
func axisScores(k *Ink) [2]float64 {
	cx, cy, cw := pool(k.LX, k.LY, k.W, k.H, 4)
	tx, ty := turnPoints(cx, cy, int32((k.H+3)/4))
	var s [2]float64
	for a := -MaxSkew; a <= MaxSkew+1e-9; a++ {
		s[0] = math.Max(s[0], profileScore(cx, cy, cw, a))
		s[1] = math.Max(s[1], profileScore(tx, ty, cw, a))
	}
	return s
}

// turnPoints turns points of an image of height h a quarter clockwise.
func turnPoints[T int | int32](x, y []int32, h T) (tx, ty []int32) {
	tx = make([]int32, len(x))
	for i := range x {
		tx[i] = int32(h) - y[i]
	}
	return tx, x
}

// countLines counts the runs of a profile that hold a line's worth of ink.
func countLines(bins []int32) int {
	if len(bins) == 0 {
		return 0
	}
	thr := max(2, percentile(bins, 0.95)/10)
	n, in := 0, false
	for _, b := range bins {
		if b >= thr && !in {
			n++
		}
		in = b >= thr
	}
	return n
}

// MeasureAxis is Measure with the direction of the lines given rather than
// found: turns%2 == 0 for lines across the page as it lies, 1 for lines
// down it. The orient stage uses it when reading overrules the geometry's
// choice of direction, so that the tilt is measured along the real lines.
func MeasureAxis(k *Ink, turns int) Layout {
	if len(k.LX) == 0 {
		return Layout{Turns: turns & 3}
	}
	side := turns & 1
	x, y, fw, fh := k.LX, k.LY, k.W, k.H
	if side == 1 {
		x, y = turnPoints(k.LX, k.LY, k.H)
		fw, fh = k.H+1, k.W
	}
	cx, cy, cw := pool(x, y, fw, fh, 4)
	best, angle := -1.0, 0.0
	for a := -MaxSkew; a <= MaxSkew+1e-9; a++ {
		if s := profileScore(cx, cy, cw, a); s > best {
			best, angle = s, a
		}
	}
	px, py, pw := pool(x, y, fw, fh, 2)
	coarse := angle
	best = -1
	for a := coarse - 1; a <= coarse+1+1e-9; a += 0.25 {
		if s := profileScore(px, py, pw, a); s > best {
			best, angle = s, a
		}
	}
	angle = refine(x, y, angle)
	ax, ay := k.X, k.Y
	if side == 1 {
		ax, ay = turnPoints(k.X, k.Y, k.H)
	}
	up := upEvidence(ax, ay, angle)
	l := Layout{Turns: side, Skew: angle, UpConfidence: math.Abs(up)}
	if up < 0 {
		l.Turns += 2
	}
	return l
}

// Upright draws g (the analysis image Measure was run on) turned and
// straightened as l says: what the page looks like if l is right.
func Upright(g *image.Gray, l Layout) *image.Gray {
	b := g.Bounds()
	t, w, h := QuarterTurn(l.Turns, b.Dx(), b.Dy())
	if math.Abs(l.Skew) >= 0.05 {
		t = t.Then(RotateAbout(-l.Skew, float64(w)/2, float64(h)/2))
	}
	return Render(g, t.Invert(), w, h)
}

// Turn returns g turned clockwise by turns quarter turns.
func Turn(g *image.Gray, turns int) *image.Gray {
	b := g.Bounds()
	t, w, h := QuarterTurn(turns, b.Dx(), b.Dy())
	return Render(g, t.Invert(), w, h)
}

// TextBand returns the full-width band of g, frac of its height, that
// holds the most ink (pixels at or below threshold): a sample of text lines
// to read. Rows more than a third ink are a border or a rule, not text,
// and count for nothing.
func TextBand(g *image.Gray, threshold uint8, frac float64) *image.Gray {
	b := g.Bounds()
	h := max(1, min(b.Dy(), int(frac*float64(b.Dy()))))
	rows := make([]int, b.Dy())
	for y := range rows {
		n := 0
		for _, v := range g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()] {
			if v <= threshold {
				n++
			}
		}
		if n <= b.Dx()/3 {
			rows[y] = n
		}
	}
	best, at, s := -1, 0, 0
	for y, n := range rows {
		s += n
		if y >= h {
			s -= rows[y-h]
		}
		if y >= h-1 && s > best {
			best, at = s, y-h+1
		}
	}
	return g.SubImage(image.Rect(b.Min.X, b.Min.Y+at, b.Max.X, b.Min.Y+at+h)).(*image.Gray)
}
