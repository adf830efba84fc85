package raster

import (
	"image"
	"math"
)

// Illumination. A flatbed lights the page evenly; a phone, a lamp off to
// one side, a page that does not lie flat or a book's gutter do not. Where
// the light falls off, paper is as dark as print is elsewhere, and the
// single threshold Tesseract binarises with turns whole regions black or
// drops their print (on the fixtures dimmed to 40 % at one corner, CER went
// from 0.02 to 0.13). Flattening divides each pixel by the brightness of the
// paper around it, which is measured from the brightest blocks near it:
// every few millimetres of a text page hold some paper between the lines.

// Background is the brightness of a page's paper, on a grid of blocks.
type Background struct {
	// Level holds the paper's gray level per block, row by row.
	Level []float64
	// W, H are the grid's size; Block is the side of a block in pixels.
	W, H, Block int
}

// backgroundWindow is how far around a block paper is looked for, in
// millimetres: wider than the gap between two lines of 13-pt text with
// marks, narrower than the fall-off of uneven light.
const backgroundWindow = 4.0

// MeasureBackground estimates the paper's brightness across g, a page at
// dpi. It reads a quarter of the pixels (every other row and column).
// Blocks under border (nil: none), which is not paper, are left out; they
// take the level of the paper nearest them.
func MeasureBackground(g *image.Gray, dpi float64, border *Border) *Background {
	mean, valid, bw, bh, block, k := paperBlocks(g, dpi, border, 2)
	// The brightest block near each block is paper; then smooth away the
	// steps the maximum leaves.
	bg := boxFilter(maxFilter(mean, bw, bh, k), valid, bw, bh, k)
	return &Background{Level: bg, W: bw, H: bh, Block: block}
}

// LightSpread is the cheap look at how unevenly g is lit: one minus the
// ratio of the dimmest paper to the brightest (the 2nd and 98th
// percentiles of the paper found around each millimetre block), 0 for an
// even page. It reads one pixel in sixteen.
func LightSpread(g *image.Gray, dpi float64, border *Border) float64 {
	mean, valid, bw, bh, _, k := paperBlocks(g, dpi, border, 4)
	paper := maxFilter(mean, bw, bh, k)
	var hist [256]int
	for i, v := range valid {
		if v > 0 {
			hist[min(255, int(paper[i]))]++
		}
	}
	lo, hi := percentileHist(&hist, 0.02), percentileHist(&hist, 0.98)
	if hi <= 0 {
		return 0
	}
	return 1 - float64(lo)/float64(hi)
}

// paperBlocks returns the means of g's millimetre blocks (reading every
// step-th row and column) with a weight of 0 for those under border, the
// grid's size and block, and the paper window in blocks.
func paperBlocks(g *image.Gray, dpi float64, border *Border, step int) (mean, valid []float64, bw, bh, block, k int) {
	block = max(2, int(math.Round(dpi/25.4)))
	bw, bh = (g.Rect.Dx()+block-1)/block, (g.Rect.Dy()+block-1)/block
	mean = blockMeans(g, block, bw, bh, step)
	valid = make([]float64, len(mean))
	for i := range valid {
		valid[i] = 1
		if border != nil && border.Covers((i%bw)*block+block/2, (i/bw)*block+block/2) {
			valid[i], mean[i] = 0, 0
		}
	}
	k = max(1, int(math.Round(backgroundWindow*dpi/25.4/float64(block))))
	return mean, valid, bw, bh, block, k
}

// Flatten divides g, in place, by its background, so that paper is white
// everywhere and print keeps its contrast with the paper around it.
func Flatten(g *image.Gray, b *Background) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Gain per block in 8.8 fixed point, interpolated between block
	// centres along each row.
	gain := make([]int32, len(b.Level))
	for i, v := range b.Level {
		gain[i] = int32(255 * 256 / max(v, 16))
	}
	// Horizontal position of each column between block centres.
	x0s, x1s, axs := make([]int, w), make([]int, w), make([]int32, w)
	for x := range x0s {
		fx := (float64(x)+0.5)/float64(b.Block) - 0.5
		x0s[x] = min(max(int(math.Floor(fx)), 0), b.W-1)
		x1s[x] = min(x0s[x]+1, b.W-1)
		axs[x] = int32(math.Round(min(max(fx-float64(x0s[x]), 0), 1) * 256))
	}
	rowGain := make([]int32, w)
	for y := 0; y < h; y++ {
		fy := (float64(y)+0.5)/float64(b.Block) - 0.5
		y0 := min(max(int(math.Floor(fy)), 0), b.H-1)
		y1 := min(y0+1, b.H-1)
		ay := int32(math.Round(min(max(fy-float64(y0), 0), 1) * 256))
		g0, g1 := gain[y0*b.W:][:b.W], gain[y1*b.W:][:b.W]
		for x := range rowGain {
			x0, x1, ax := x0s[x], x1s[x], axs[x]
			top := g0[x0]*(256-ax) + g0[x1]*ax
			bot := g1[x0]*(256-ax) + g1[x1]*ax
			rowGain[x] = (top*(256-ay) + bot*ay) >> 16
		}
		row := g.Pix[y*g.Stride:][:w]
		for x, v := range row {
			row[x] = uint8(min(255, (int32(v)*rowGain[x]+128)>>8))
		}
	}
}

// maxFilter returns the maximum over (2k+1)² blocks around each block
// (those inside the grid; the levels are never negative), a pass along
// the rows and one down the columns.
func maxFilter(v []float64, w, h, k int) []float64 {
	tmp := make([]float64, len(v))
	out := make([]float64, len(v))
	f := newWindowMax(max(w, h), k)
	for y := 0; y < h; y++ {
		f.run(v[y*w:(y+1)*w], tmp[y*w:(y+1)*w])
	}
	col, res := make([]float64, h), make([]float64, h)
	for x := 0; x < w; x++ {
		for y := range col {
			col[y] = tmp[y*w+x]
		}
		f.run(col, res)
		for y, m := range res {
			out[y*w+x] = m
		}
	}
	return out
}

// windowMax finds the maximum of every window of 2k+1 values along a line
// in three comparisons a value, whatever k (van Herk and Gil-Werman): the
// line, padded with k zeros each side, is cut into pieces of the window's
// length, and a window's maximum is that of the suffix of the piece it
// starts in and the prefix of the next. Maxima are exact, so the result
// is the naive search's. The values must not be negative (the padding
// stands for the edge).
type windowMax struct {
	k                   int
	padded, pre, suffix []float64
}

func newWindowMax(n, k int) *windowMax {
	m := n + 2*k // the line and its padding; a last piece may be short
	return &windowMax{k: k, padded: make([]float64, m), pre: make([]float64, m), suffix: make([]float64, m)}
}

// run writes into out the window maxima of in (len(in) ≤ the n it was
// made for).
func (f *windowMax) run(in, out []float64) {
	k, win := f.k, 2*f.k+1
	n := len(in) + 2*k
	p := f.padded[:n]
	clear(p[:k])
	copy(p[k:], in)
	clear(p[k+len(in):])
	pre, suf := f.pre[:n], f.suffix[:n]
	for s := 0; s < n; s += win {
		e := min(n, s+win)
		m := 0.0
		for i := s; i < e; i++ {
			if p[i] > m {
				m = p[i]
			}
			pre[i] = m
		}
		m = 0
		for i := e - 1; i >= s; i-- {
			if p[i] > m {
				m = p[i]
			}
			suf[i] = m
		}
	}
	// Out's x is the padded window [x, x+2k].
	for x := range out {
		a, b := suf[x], pre[x+win-1]
		if b > a {
			a = b
		}
		out[x] = a
	}
}

// boxFilter returns the mean over the (2k+1)² blocks around each block
// of those whose weight is 1 (all of them with fewer at the edges; a
// block with none takes the nearest in its row's or column's pass).
func boxFilter(v, weight []float64, w, h, k int) []float64 {
	// A pass runs along count lines of n blocks, line l's block i at
	// l*stride + i*step. Each line's weighted values and weights are
	// copied out first, so the window sums read contiguous memory; they
	// are summed in the same order as ever, so the result is the same to
	// the bit.
	pass := func(v, wt []float64, n, count, stride, step int) ([]float64, []float64) {
		out, ow := make([]float64, len(v)), make([]float64, len(v))
		vw, ws := make([]float64, n), make([]float64, n)
		for line := 0; line < count; line++ {
			for i, a := 0, line*stride; i < n; i, a = i+1, a+step {
				vw[i], ws[i] = v[a]*wt[a], wt[a]
			}
			for i, a := 0, line*stride; i < n; i, a = i+1, a+step {
				var s, c float64
				for j := max(0, i-k); j <= min(n-1, i+k); j++ {
					s += vw[j]
					c += ws[j]
				}
				if c > 0 {
					out[a], ow[a] = s/c, 1
				}
			}
		}
		return out, ow
	}
	rows, rw := pass(v, weight, w, h, w, 1)
	out, ow := pass(rows, rw, h, w, 1, w)
	// Blocks far from any paper (inside a wide border): the page's paper.
	var paper float64
	for i, c := range ow {
		if c > 0 {
			paper = max(paper, out[i])
		}
	}
	for i, c := range ow {
		if c == 0 {
			out[i] = paper
		}
	}
	return out
}
