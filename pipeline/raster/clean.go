package raster

import (
	"image"
	"math"
	"slices"
)

// Leader dots. Forms print rows of dots under and after the blanks a
// citizen fills in. They touch descenders and Vietnamese dot-below marks,
// and Tesseract's layout analysis, seeing a line of text fused to a row of
// specks, gives up on whole blocks: on such forms it reads under a third of
// the text. RemoveLeaders finds the rows of dots and erases them from the
// raster OCR reads (the PDF keeps the original image).
//
// A leader dot is a small blob; a leader is at least minLeaderDots of them
// on one horizontal line at a regular pitch. Punctuation, the dots of i and
// dot-below marks are small blobs too, but never five in a row at an even
// pitch.
const minLeaderDots = 5

type run struct {
	y, x0, x1 int32 // ink from x0 to x1 inclusive on row y
	parent    int32
}

type blob struct {
	x0, y0, x1, y1 int32
	n              int32 // ink pixels
}

// RemoveLeaders erases dotted leader lines from an upright page raster in
// place. Pixels at or below threshold are ink. It returns the number of
// dots erased.
func RemoveLeaders(g *image.Gray, dpi float64, threshold uint8) int {
	_, blobs, _ := components(g, threshold)
	return len(removeLeaders(g, dpi, blobs))
}

// removeLeaders is RemoveLeaders on g's blobs, labelled already; it
// returns the dots it erased.
func removeLeaders(g *image.Gray, dpi float64, blobs []blob) []blob {
	// Leader dots are 0.2-0.6 mm across; 0.8 mm bounds them at any dpi.
	maxDot := int32(math.Max(2, math.Round(dpi*0.8/25.4)))
	// Dots of one leader sit a few tenths of a millimetre apart; allow up
	// to 2.5 mm so that dots under a letter's descender (which merge into
	// the letter and are not candidates) do not end the row.
	maxGap := int32(math.Round(dpi * 2.5 / 25.4))
	var dots []blob
	for _, b := range blobs {
		if b.x1-b.x0 < maxDot && b.y1-b.y0 < maxDot {
			dots = append(dots, b)
		}
	}
	// Chain dots left to right along rows: a dot joins the chain whose last
	// dot is level with it (centre within a third of a dot height) and not
	// too far to the left.
	slices.SortFunc(dots, func(a, b blob) int { return int(a.x0 - b.x0) })
	type chain struct {
		dots []int
		yc   float64
	}
	var open []*chain
	var done []*chain
	tol := math.Max(1.5, float64(maxDot)/3)
	for i, d := range dots {
		yc := float64(d.y0+d.y1) / 2
		var best *chain
		for _, c := range open {
			last := dots[c.dots[len(c.dots)-1]]
			if math.Abs(c.yc-yc) <= tol && d.x0-last.x1 <= maxGap && d.x0 > last.x1 {
				if best == nil || last.x1 > dots[best.dots[len(best.dots)-1]].x1 {
					best = c
				}
			}
		}
		if best == nil {
			best = &chain{yc: yc}
			open = append(open, best)
		}
		best.dots = append(best.dots, i)
		// Retire chains that can no longer grow, keeping the sweep short.
		kept := open[:0]
		for _, c := range open {
			if d.x0-dots[c.dots[len(c.dots)-1]].x1 > maxGap {
				done = append(done, c)
			} else {
				kept = append(kept, c)
			}
		}
		open = kept
	}
	done = append(done, open...)
	var erased []blob
	letters := newLetterIndex(blobs, maxDot, dpi)
	for _, c := range done {
		if len(c.dots) < minLeaderDots {
			continue
		}
		pitch, ok := evenPitch(dots, c.dots)
		if !ok {
			continue
		}
		area := typicalArea(dots, c.dots)
		for k, i := range c.dots {
			d := dots[i]
			// A dot-below mark (ạ, ệ, ộ ...) of a value typed over the
			// leader sits among its dots: off its grid, or on it but
			// bigger than its dots and right under a letter. Keep it; the
			// tone is the word. (A leader dot fattened by noise under
			// nothing is still erased: one left in a row of text breaks
			// Tesseract's layout, which costs whole lines.)
			if !onGrid(dots, c.dots, k, pitch) || (float64(d.n) > 1.5*area && letters.above(d)) {
				continue
			}
			// The dot and its anti-aliased rim become paper.
			for y := max(0, d.y0-1); y <= min(int32(g.Rect.Dy()-1), d.y1+1); y++ {
				row := g.Pix[int(y)*g.Stride:]
				for x := max(0, d.x0-1); x <= min(int32(g.Rect.Dx()-1), d.x1+1); x++ {
					row[x] = 255
				}
			}
			erased = append(erased, d)
		}
	}
	return erased
}

// onGrid reports whether the k-th dot of a chain is a whole number of
// pitches from a neighbour in the chain: measured from its neighbours, so
// that a pitch that is not a whole number of pixels does not drift off a
// long leader.
func onGrid(dots []blob, idx []int, k int, pitch int32) bool {
	whole := func(gap int32) bool {
		n := (gap + pitch/2) / pitch
		return n >= 1 && absInt32(gap-n*pitch)*4 <= pitch
	}
	x := dots[idx[k]].x0
	return (k > 0 && whole(x-dots[idx[k-1]].x0)) || (k+1 < len(idx) && whole(dots[idx[k+1]].x0-x))
}

// typicalArea is the ink of a leader's dot: the upper quartile of its
// chain's, since specks of noise that joined the chain are smaller.
func typicalArea(dots []blob, idx []int) float64 {
	areas := make([]int32, len(idx))
	for k, i := range idx {
		areas[k] = dots[i].n
	}
	slices.Sort(areas)
	return float64(areas[len(areas)*3/4])
}

// letterIndex finds the letters (blobs taller than a dot) above a point,
// by cells of the page.
type letterIndex struct {
	blobs []blob
	cells map[[2]int32][]int32
	cell  int32
	reach int32 // how far above a mark its letter may end: a third of 13-pt type
}

func newLetterIndex(blobs []blob, maxDot int32, dpi float64) *letterIndex {
	li := &letterIndex{blobs: blobs, cells: map[[2]int32][]int32{}, cell: 32,
		reach: int32(math.Round(dpi * 13 / 72 / 3))}
	for i, b := range blobs {
		if b.y1-b.y0 < maxDot {
			continue
		}
		for cy := b.y0 / li.cell; cy <= b.y1/li.cell; cy++ {
			for cx := b.x0 / li.cell; cx <= b.x1/li.cell; cx++ {
				li.cells[[2]int32{cx, cy}] = append(li.cells[[2]int32{cx, cy}], int32(i))
			}
		}
	}
	return li
}

// near reports whether a letter comes within reach pixels of d's box.
func (li *letterIndex) near(d blob, reach int32) bool {
	x0, y0, x1, y1 := d.x0-reach, d.y0-reach, d.x1+reach, d.y1+reach
	for cy := max(0, y0) / li.cell; cy <= y1/li.cell; cy++ {
		for cx := max(0, x0) / li.cell; cx <= x1/li.cell; cx++ {
			for _, i := range li.cells[[2]int32{cx, cy}] {
				b := li.blobs[i]
				if b.x0 <= x1 && x0 <= b.x1 && b.y0 <= y1 && y0 <= b.y1 {
					return true
				}
			}
		}
	}
	return false
}

// above reports whether a letter ends just above d, over d's centre: where
// the letter a dot-below mark belongs to stands.
func (li *letterIndex) above(d blob) bool {
	x := (d.x0 + d.x1) / 2
	for cy := (d.y0 - li.reach) / li.cell; cy <= d.y0/li.cell; cy++ {
		for _, i := range li.cells[[2]int32{x / li.cell, cy}] {
			b := li.blobs[i]
			if b.x0 <= x && x <= b.x1 && b.y1 < d.y0 && d.y0-b.y1 <= li.reach {
				return true
			}
		}
	}
	return false
}

func absInt32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// evenPitch reports whether most gaps between the chain's dots are alike,
// as printed leaders are, and the pitch; a dot hidden under a descender
// doubles one gap, so gaps up to three pitches are allowed.
func evenPitch(dots []blob, idx []int) (int32, bool) {
	var pitches []int32
	for k := 1; k < len(idx); k++ {
		pitches = append(pitches, dots[idx[k]].x0-dots[idx[k-1]].x0)
	}
	slices.Sort(pitches)
	med := pitches[len(pitches)/2]
	if med <= 0 {
		return 0, false
	}
	regular := 0
	for _, p := range pitches {
		if p*4 >= med*3 && p*4 <= med*5 { // within ±25 % of the median
			regular++
		}
		if p > 3*med+2 {
			return 0, false
		}
	}
	return med, regular*4 >= len(pitches)*3
}

// components labels the 8-connected ink blobs of g by union-find over
// horizontal runs: one pass over the pixels, and memory in proportion to
// the runs rather than the page. It returns the runs, the blobs, and for
// each run the index of its blob.
func components(g *image.Gray, threshold uint8) ([]run, []blob, []int32) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var runs []run
	prevStart, prevEnd := 0, 0
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		start := len(runs)
		ink := uint32(threshold) + 1
		for x := NextUnder(row, 0, ink); x < w; x = NextUnder(row, x, ink) {
			x0 := x
			for x < w && row[x] <= threshold {
				x++
			}
			runs = append(runs, run{y: int32(y), x0: int32(x0), x1: int32(x - 1), parent: int32(len(runs))})
		}
		// Join with overlapping runs of the previous row (diagonal
		// neighbours count, hence the ±1).
		p := prevStart
		for i := start; i < len(runs); i++ {
			r := &runs[i]
			for p < prevEnd && runs[p].x1 < r.x0-1 {
				p++
			}
			for q := p; q < prevEnd && runs[q].x0 <= r.x1+1; q++ {
				union(runs, int32(i), int32(q))
			}
		}
		prevStart, prevEnd = start, len(runs)
	}
	// Roots come before their runs (union keeps the smaller index), so one
	// pass numbers the blobs.
	of := make([]int32, len(runs))
	var blobs []blob
	for i := range runs {
		root := find(runs, int32(i))
		r := runs[i]
		if root == int32(i) {
			of[i] = int32(len(blobs))
			blobs = append(blobs, blob{x0: r.x0, y0: r.y, x1: r.x1, y1: r.y})
		} else {
			of[i] = of[root]
		}
		b := &blobs[of[i]]
		b.x0, b.x1 = min(b.x0, r.x0), max(b.x1, r.x1)
		b.y0, b.y1 = min(b.y0, r.y), max(b.y1, r.y)
		b.n += r.x1 - r.x0 + 1
	}
	return runs, blobs, of
}

func find(runs []run, i int32) int32 {
	for runs[i].parent != i {
		runs[i].parent = runs[runs[i].parent].parent
		i = runs[i].parent
	}
	return i
}

func union(runs []run, a, b int32) {
	ra, rb := find(runs, a), find(runs, b)
	if ra != rb {
		runs[max(ra, rb)].parent = min(ra, rb)
	}
}
