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
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if quarter(toSrc) {
		renderExact(dst, src, toSrc)
		return dst
	}
	for y := 0; y < h; y++ {
		// Sample at pixel centres; walk the row incrementally.
		fx, fy := toSrc.Apply(0.5, float64(y)+0.5)
		fx -= 0.5
		fy -= 0.5
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := range row {
			row[x] = bilinear(src, sw, sh, fx, fy)
			fx += toSrc[0]
			fy += toSrc[1]
		}
	}
	return dst
}

func bilinear(src *image.Gray, sw, sh int, fx, fy float64) uint8 {
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
	if x0 >= 0 && y0 >= 0 && x0+1 < sw && y0+1 < sh {
		i := y0*src.Stride + x0
		p := src.Pix[i : i+src.Stride+2]
		top := float64(p[0]) + ax*(float64(p[1])-float64(p[0]))
		bot := float64(p[src.Stride]) + ax*(float64(p[src.Stride+1])-float64(p[src.Stride]))
		return uint8(top + ay*(bot-top) + 0.5)
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
	for y := 0; y < h; y++ {
		// The centre of (x, y) maps to the centre of a source pixel.
		fx, fy := toSrc.Apply(0.5, float64(y)+0.5)
		sx, sy := int(math.Floor(fx)), int(math.Floor(fy))
		dx, dy := int(toSrc[0]), int(toSrc[1])
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
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
