package raster

import (
	"image"
	"math"
	"slices"
)

// Sharpness. A page out of focus (a phone held too close, a book that did
// not lie on the glass) or shaken cannot be cleaned after the fact: its
// strokes have run together, and the operator must hear it while the
// citizen is still at the desk. Blur is measured on the edges of the ink:
// across an edge blurred by a Gaussian of σ pixels the gray level changes at
// most by contrast/(σ·√(2π)) a pixel, so the steepness of the page's edges
// where they cross the midway level between paper and print gives σ.

// BlurSigma estimates how blurred g is: the σ, in pixels, of the Gaussian
// that would blur sharp print into the page's edges (about 0.8 for a sharp
// scan, where each edge is a pixel or two). It reads an eighth of the
// page's rows and a sixteenth of its columns. edges is how many edges it measured; with few (under 200: a page
// with little ink) the estimate means little.
func BlurSigma(g *image.Gray) (sigma float64, edges int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 8 || h < 8 {
		return 0, 0
	}
	// Paper and print levels from a sample of rows.
	var hist [256]int
	for y := 0; y < h; y += 8 {
		for _, v := range g.Pix[y*g.Stride:][:w] {
			hist[v]++
		}
	}
	t, _, _ := Otsu(&hist)
	black, paper := float64(blackLevel(&hist, t)), 0.0
	n, s := 0, 0
	for v := t + 1; v < 256; v++ {
		n += hist[v]
		s += v * hist[v]
	}
	if n > 0 {
		paper = float64(s) / float64(n)
	}
	contrast := paper - black
	if contrast < MinInkContrast {
		return 0, 0
	}
	mid := int((paper + black) / 2)
	// The step between the two pixels either side of each crossing of the
	// midway level: along every eighth row, and down every eighth column
	// between each even row and the next (read row by row).
	var slopes []float64
	cross := func(a, b uint8) {
		if (int(a) < mid) != (int(b) < mid) {
			slopes = append(slopes, math.Abs(float64(b)-float64(a)))
		}
	}
	for y := 2; y < h-2; y += 8 {
		row := g.Pix[y*g.Stride:][:w]
		for x := 0; x+1 < w; x++ {
			cross(row[x], row[x+1])
		}
	}
	for y := 0; y+1 < h; y += 2 {
		r0, r1 := g.Pix[y*g.Stride:][:w], g.Pix[(y+1)*g.Stride:][:w]
		for x := 2; x < w-2; x += 8 {
			cross(r0[x], r1[x])
		}
	}
	if len(slopes) == 0 {
		return 0, 0
	}
	slices.Sort(slopes)
	steep := slopes[len(slopes)/2]
	if steep <= 0 {
		return 0, len(slopes)
	}
	return contrast / (steep * math.Sqrt(2*math.Pi)), len(slopes)
}
