package raster

import (
	"image"
	"math"
	"slices"
)

// Dark borders. A scanner lid left open, or a black one, shows the bare
// glass around a sheet set crooked or short of the edge; a screenshot shows
// the viewer's bars around the page; a phone photo the table under it. That
// border is no text, but it is as dark as print, and carries the scanner's
// noise: OCR reads it as a column of garbage, and flattening the light would
// brighten its noise into specks. A border is found as the dark region
// connected to the image's edge, on a grid of blocks about a millimetre
// across, and made paper.

// Border is the dark region around a page.
type Border struct {
	// Mask marks the grid's border blocks, row by row; Block is the side of
	// a block in pixels, W and H the grid's size.
	Mask        []bool
	W, H, Block int
	// Sheet is the box of what is not border, in pixels: the sheet of
	// paper, as far as it shows.
	Sheet image.Rectangle
	// Share is the border's share of the image.
	Share float64
	dark  uint8 // gray level under which a pixel is as dark as the border
}

// Border limits: a block is dark when its mean is under darkShare of the
// paper's level (lid borders and viewer bars are 7-27 % of white, shadows of
// uneven light deeper than 45 % of the light are rare, a line of text
// keeps a millimetre block above 60 %); an edge may hold a border when more
// than edgeShare of its outermost pixels are dark.
const (
	darkShare = 0.45
	edgeShare = 0.1
	// flatShare bounds a border block's standard deviation, as a share of
	// the paper's level: noise of σ 20 on the glass is 0.09, a block of
	// print 0.3 and more.
	flatShare = 0.15
)

// HasDarkEdge is the cheap look: it reports whether any of g's four edges
// is dark along more than edgeShare of its length, reading the outermost
// two rows and columns only.
func HasDarkEdge(g *image.Gray) bool {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 8 || h < 8 {
		return false
	}
	// The paper's level from a sparse sample of the page.
	var hist [256]int
	for y := h / 16; y < h; y += h / 8 {
		for _, v := range g.Pix[y*g.Stride:][:w] {
			hist[v]++
		}
	}
	dark := uint8(darkShare * float64(percentileHist(&hist, 0.9)))
	count := func(n int, at func(i int) uint8) bool {
		d := 0
		for i := 0; i < n; i++ {
			if at(i) < dark {
				d++
			}
		}
		return float64(d) > edgeShare*float64(n)
	}
	for _, k := range []int{0, 1} {
		if count(w, func(x int) uint8 { return g.Pix[k*g.Stride+x] }) ||
			count(w, func(x int) uint8 { return g.Pix[(h-1-k)*g.Stride+x] }) ||
			count(h, func(y int) uint8 { return g.Pix[y*g.Stride+k] }) ||
			count(h, func(y int) uint8 { return g.Pix[y*g.Stride+w-1-k] }) {
			return true
		}
	}
	return false
}

// FindBorder finds the dark region connected to g's edges, at dpi. It
// returns nil when there is none worth removing.
func FindBorder(g *image.Gray, dpi float64) *Border {
	block := max(2, int(math.Round(dpi/25.4)))
	w, h := g.Rect.Dx(), g.Rect.Dy()
	bw, bh := (w+block-1)/block, (h+block-1)/block
	mean, dev := blockStats(g, block, bw, bh)
	s := slices.Clone(mean)
	slices.Sort(s)
	paper := s[len(s)*9/10]
	dark, flat := darkShare*paper, flatShare*paper
	b := &Border{Mask: make([]bool, bw*bh), W: bw, H: bh, Block: block, dark: uint8(dark)}
	// Flood from every dark block on the grid's edge through dark blocks.
	// Border is dark and flat (the glass, noise on it); a block of bold
	// print is as dark but half paper, and the flood must not run from the
	// border into a heading set close to it.
	var stack []int
	push := func(i int) {
		if !b.Mask[i] && mean[i] < dark && dev[i] < flat {
			b.Mask[i] = true
			stack = append(stack, i)
		}
	}
	for x := 0; x < bw; x++ {
		push(x)
		push((bh-1)*bw + x)
	}
	for y := 0; y < bh; y++ {
		push(y * bw)
		push(y*bw + bw - 1)
	}
	n := 0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		x, y := i%bw, i/bw
		if x > 0 {
			push(i - 1)
		}
		if x < bw-1 {
			push(i + 1)
		}
		if y > 0 {
			push(i - bw)
		}
		if y < bh-1 {
			push(i + bw)
		}
	}
	// A few dark blocks at the edge (a punched hole, a fold's shadow, a
	// logo at the margin) are not a border: a border runs along a good part
	// of an edge, which is at least a fifth of the shorter side's blocks.
	if n < min(bw, bh)/5 {
		return nil
	}
	// Grow by a block into the paper: the sheet's edge is a soft step and
	// casts a shadow.
	grown := slices.Clone(b.Mask)
	for i, m := range b.Mask {
		if !m {
			continue
		}
		x, y := i%bw, i/bw
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < bw && yy < bh {
					grown[yy*bw+xx] = true
				}
			}
		}
	}
	b.Mask = grown
	x0, y0, x1, y1 := bw, bh, -1, -1
	n = 0
	for i, m := range b.Mask {
		if m {
			n++
			continue
		}
		x, y := i%bw, i/bw
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	if x1 < 0 { // all dark: a photo of nothing, or a negative
		return nil
	}
	b.Sheet = image.Rect(x0*block, y0*block, min(w, (x1+1)*block), min(h, (y1+1)*block))
	b.Share = float64(n) / float64(len(b.Mask))
	return b
}

// Covers reports whether pixel (x, y) is in the border.
func (b *Border) Covers(x, y int) bool {
	bx, by := x/b.Block, y/b.Block
	return bx >= 0 && by >= 0 && bx < b.W && by < b.H && b.Mask[by*b.W+bx]
}

// Remove makes the border white in g, in place: its blocks, and then,
// pixel by pixel, what is as dark as the border and joined to the image's
// edge, which the blocks leave where a tilted sheet's edge runs close to
// the image's (slivers a few pixels wide that OCR reads as strokes).
func (b *Border) Remove(g *image.Gray) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for by := 0; by < b.H; by++ {
		for bx := 0; bx < b.W; bx++ {
			if !b.Mask[by*b.W+bx] {
				continue
			}
			for y := by * b.Block; y < min(h, (by+1)*b.Block); y++ {
				row := g.Pix[y*g.Stride:]
				for x := bx * b.Block; x < min(w, (bx+1)*b.Block); x++ {
					row[x] = 255
				}
			}
		}
	}
	var stack []int32
	push := func(x, y int) {
		if i := y*g.Stride + x; g.Pix[i] < b.dark {
			g.Pix[i] = 255
			stack = append(stack, int32(y*w+x))
		}
	}
	for x := 0; x < w; x++ {
		push(x, 0)
		push(x, h-1)
	}
	for y := 0; y < h; y++ {
		push(0, y)
		push(w-1, y)
	}
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		if x > 0 {
			push(x-1, y)
		}
		if x < w-1 {
			push(x+1, y)
		}
		if y > 0 {
			push(x, y-1)
		}
		if y < h-1 {
			push(x, y+1)
		}
	}
}

// blockStats returns the mean and the standard deviation of each
// block×block block of g, reading every other row and column.
func blockStats(g *image.Gray, block, bw, bh int) (mean, dev []float64) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	mean, dev = make([]float64, bw*bh), make([]float64, bw*bh)
	cnt := make([]float64, bw*bh)
	for y := 0; y < h; y += 2 {
		row := g.Pix[y*g.Stride:][:w]
		by := y / block * bw
		for x := 0; x < w; x += 2 {
			v := float64(row[x])
			mean[by+x/block] += v
			dev[by+x/block] += v * v
			cnt[by+x/block]++
		}
	}
	for i, n := range cnt {
		if n > 0 {
			mean[i] /= n
			dev[i] = math.Sqrt(max(0, dev[i]/n-mean[i]*mean[i]))
		}
	}
	return mean, dev
}

// blockMeans returns the mean of each block×block block of g, reading every
// step-th row and column.
func blockMeans(g *image.Gray, block, bw, bh, step int) []float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// The sampled columns' sums down a row of blocks first, then each
	// block's columns: whole sums, in integers and exact, so the means are
	// what summing the pixels one by one in floating point gave.
	col := make([]uint32, (w+step-1)/step)
	mean := make([]float64, bw*bh)
	for by := range bh {
		clear(col)
		rows := 0
		y0 := (by*block + step - 1) / step * step
		for y := y0; y < min(h, (by+1)*block); y += step {
			row := g.Pix[y*g.Stride:][:w]
			for i := range col {
				col[i] += uint32(row[i*step])
			}
			rows++
		}
		if rows == 0 {
			continue
		}
		for bx := range bw {
			i0 := (bx*block + step - 1) / step
			i1 := min(len(col), ((bx+1)*block+step-1)/step)
			var s uint32
			for _, v := range col[i0:i1] {
				s += v
			}
			if n := rows * (i1 - i0); n > 0 {
				mean[by*bw+bx] = float64(s) / float64(n)
			}
		}
	}
	return mean
}

// percentileHist returns the gray level under which share p of the
// histogram's pixels lie.
func percentileHist(hist *[256]int, p float64) int {
	n := 0
	for _, c := range hist {
		n += c
	}
	c := 0
	for v, k := range hist {
		if c += k; float64(c) >= p*float64(n) {
			return v
		}
	}
	return 255
}
