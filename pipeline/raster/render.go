package raster

import (
	"image"
	"math"
	"slices"
)

func sortInt32(v []int32) { slices.Sort(v) }

// Render resamples src into a new w×h image. toSrc maps a point of the new
// image to the point of src it shows. Points that fall outside src are
// white, as paper is. Bilinear interpolation: the output feeds OCR, which
// is hurt by the jagged strokes of nearest-neighbour rotation.
func Render(src *image.Gray, toSrc Affine, w, h int) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, w, h))
	if quarter(toSrc) {
		renderExact(dst, src, toSrc)
		return dst
	}
	// An output row that walks down the source (a page turned a quarter)
	// reads a new source row, and a new cache line, at every pixel; in
	// strips of renderStrip columns, the next output row reads the lines
	// the last one brought in. Each pixel is computed the same either way.
	strip := w
	if math.Abs(toSrc[1]) > math.Abs(toSrc[0]) {
		strip = renderStrip
	}
	render(dst, src, toSrc, strip)
	return dst
}

// renderStrip is the width, in output pixels, of the strips a turned page
// is rendered in: the source rows one strip's row reads (64 bytes' worth
// of columns) stay in cache for the next.
const renderStrip = 64

// render fills dst from src through toSrc, strip output columns at a time.
func render(dst, src *image.Gray, toSrc Affine, strip int) {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	// Walk each output row in 16.16 fixed point: two adds a pixel to find
	// the source point, and integer weights for the four neighbours.
	const one = 1 << 16
	dx, dy := int64(math.Round(toSrc[0]*one)), int64(math.Round(toSrc[1]*one))
	// Per row, where x = 0 falls in the source and the span [xa, xb) in
	// which all four neighbours exist; only the margins need the careful
	// sampler, done here.
	type rowStart struct {
		px, py int64
		xa, xb int
	}
	rows := make([]rowStart, h)
	for y := range rows {
		// Sample at pixel centres: output centre → source point, shifted by
		// half a pixel so that integer coordinates are source centres.
		fx, fy := toSrc.Apply(0.5, float64(y)+0.5)
		px, py := int64(math.Round((fx-0.5)*one)), int64(math.Round((fy-0.5)*one))
		xa, xb := span(px, dx, int64(sw-1)<<16, w)
		ya, yb := span(py, dy, int64(sh-1)<<16, w)
		xa, xb = max(xa, ya), min(xb, yb)
		if xb < xa {
			xa, xb = w, w
		}
		rows[y] = rowStart{px, py, xa, xb}
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := 0; x < xa; x++ {
			row[x] = edge(src, sw, sh, float64(px+int64(x)*dx)/one, float64(py+int64(x)*dy)/one)
		}
		for x := xb; x < w; x++ {
			row[x] = edge(src, sw, sh, float64(px+int64(x)*dx)/one, float64(py+int64(x)*dy)/one)
		}
	}
	for s0 := 0; s0 < w; s0 += strip {
		s1 := min(w, s0+strip)
		for y, r := range rows {
			xa, xb := max(s0, r.xa), min(s1, r.xb)
			row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
			qx, qy := r.px+int64(xa)*dx, r.py+int64(xa)*dy
			for x := xa; x < xb; x++ {
				ax, ay := uint32(qx>>8)&0xff, uint32(qy>>8)&0xff // 8-bit weights
				i := int(qy>>16)*src.Stride + int(qx>>16)
				p0 := src.Pix[i : i+2]
				p1 := src.Pix[i+src.Stride : i+src.Stride+2]
				top := uint32(p0[0])*(256-ax) + uint32(p0[1])*ax
				bot := uint32(p1[0])*(256-ax) + uint32(p1[1])*ax
				row[x] = uint8((top*(256-ay) + bot*ay + 1<<15) >> 16)
				qx += dx
				qy += dy
			}
		}
	}
}

// span returns the x range [a, b) within [0, w) where p + x·d lies in
// [0, limit).
func span(p, d, limit int64, w int) (int, int) {
	if d == 0 {
		if p >= 0 && p < limit {
			return 0, w
		}
		return 0, 0
	}
	// Solve 0 <= p + x·d < limit for x, rounding inwards.
	lo, hi := float64(-p)/float64(d), float64(limit-p)/float64(d)
	if d < 0 {
		lo, hi = hi, lo
	}
	a := int(math.Max(0, math.Ceil(lo+1e-9)))
	b := int(math.Min(float64(w), math.Ceil(hi-1e-9)))
	if b < a {
		return 0, 0
	}
	return a, b
}

// edge samples bilinearly where some neighbours lie outside the source,
// which counts as white paper.
func edge(src *image.Gray, sw, sh int, fx, fy float64) uint8 {
	x0f, y0f := math.Floor(fx), math.Floor(fy)
	x0, y0 := int(x0f), int(y0f)
	if x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh {
		return 255
	}
	ax, ay := fx-x0f, fy-y0f
	px := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= sw || y >= sh {
			return 255
		}
		return float64(src.Pix[y*src.Stride+x])
	}
	top := px(x0, y0) + ax*(px(x0+1, y0)-px(x0, y0))
	bot := px(x0, y0+1) + ax*(px(x0+1, y0+1)-px(x0, y0+1))
	return uint8(top + ay*(bot-top) + 0.5)
}

// quarter reports whether m only permutes whole pixels (quarter turns and
// mirrors with integral offsets), where copying is exact and much cheaper.
func quarter(m Affine) bool {
	for _, v := range m {
		if v != math.Trunc(v) {
			return false
		}
	}
	return (m[1] == 0 && m[2] == 0 && math.Abs(m[0]) == 1 && math.Abs(m[3]) == 1) ||
		(m[0] == 0 && m[3] == 0 && math.Abs(m[1]) == 1 && math.Abs(m[2]) == 1)
}

func renderExact(dst, src *image.Gray, toSrc Affine) {
	b := src.Bounds()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	dx, dy := int(toSrc[0]), int(toSrc[1])
	strip := w // a quarter turn walks down the source: in strips, as render
	if dy != 0 {
		strip = renderStrip
	}
	for s0 := 0; s0 < w; s0 += strip {
		s1 := min(w, s0+strip)
		for y := 0; y < h; y++ {
			// The centre of (x, y) maps to the centre of a source pixel.
			fx, fy := toSrc.Apply(float64(s0)+0.5, float64(y)+0.5)
			sx, sy := int(math.Floor(fx)), int(math.Floor(fy))
			row := dst.Pix[y*dst.Stride+s0 : y*dst.Stride+s1]
			for x := range row {
				if sx >= 0 && sy >= 0 && sx < b.Dx() && sy < b.Dy() {
					row[x] = src.Pix[sy*src.Stride+sx]
				} else {
					row[x] = 255
				}
				sx += dx
				sy += dy
			}
		}
	}
}
