package scan

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

type pdfImage = pdf.Image

// toGray returns the luminance of img with its origin at (0, 0), sharing
// memory where the decoder already produced it (gray and YCbCr JPEGs, gray
// PNGs), and reducing 16-bit, CMYK and colour images otherwise.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return m
		}
		return &image.Gray{Pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], Stride: m.Stride, Rect: image.Rect(0, 0, w, h)}
	case *image.YCbCr:
		// The Y plane is the luminance at full resolution.
		off := m.YOffset(b.Min.X, b.Min.Y)
		return &image.Gray{Pix: m.Y[off:], Stride: m.YStride, Rect: image.Rect(0, 0, w, h)}
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	switch m := img.(type) {
	case *image.Gray16:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				row[x] = src[2*x] // high byte
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				row[x] = luma(src[4*x], src[4*x+1], src[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				// Transparent areas show paper.
				a := uint32(src[4*x+3])
				v := uint32(luma(src[4*x], src[4*x+1], src[4*x+2]))
				row[x] = uint8((v*a + 255*(255-a)) / 255)
			}
		}
	case *image.Paletted:
		// One luminance per palette entry, as the general case would
		// compute it pixel by pixel.
		var lut [256]uint8
		for i, c := range m.Palette {
			lut[i] = onWhite(c.RGBA())
		}
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				row[x] = lut[src[x]]
			}
		}
	default:
		at := rgbaAt(img)
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				row[x] = onWhite(at(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return g
}

// rgbaAt reads a pixel as alpha-premultiplied 16-bit RGBA. Every image
// type of the standard library does so without the allocation At makes
// for each pixel: on a large 16-bit or CMYK page, millions of them.
func rgbaAt(img image.Image) func(x, y int) (r, g, b, a uint32) {
	if m, ok := img.(image.RGBA64Image); ok {
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			c := m.RGBA64At(x, y)
			return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
		}
	}
	return func(x, y int) (uint32, uint32, uint32, uint32) { return img.At(x, y).RGBA() }
}

// onWhite composites a premultiplied colour on white and takes its
// luminance.
func onWhite(r, g, b, a uint32) uint8 {
	r, g, b = white(r, a), white(g, a), white(b, a)
	return luma(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// white composites one premultiplied 16-bit channel on white.
func white(v, a uint32) uint32 { return min(v+0xffff-a, 0xffff) }

// luma is Rec. 601 luminance, the weighting JPEG's Y channel uses, so gray
// from colour scans matches gray from YCbCr JPEGs.
func luma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// isGray reports whether an image's model has no colour.
func isGray(img image.Image) bool {
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	if p, ok := img.(*image.Paletted); ok {
		for _, c := range p.Palette {
			r, g, b, _ := c.RGBA()
			if r != g || g != b {
				return false
			}
		}
		return true
	}
	return false
}

// flateImage encodes an image PDF cannot take as it is: g, its luminance,
// as 8-bit gray when it has no colour, 8-bit RGB on white otherwise. Rows
// go to the compressor one at a time, so the page is not copied whole
// again on the way.
func flateImage(img image.Image, g *image.Gray) pdfImage {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed) // a valid level
	cs := "DeviceGray"
	if isGray(img) {
		for y := 0; y < h; y++ {
			zw.Write(g.Pix[y*g.Stride : y*g.Stride+w]) // writes to a bytes.Buffer cannot fail
		}
	} else {
		cs = "DeviceRGB"
		at := rgbaAt(img)
		row := make([]byte, 3*w)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, gg, bl, a := at(b.Min.X+x, b.Min.Y+y)
				row[3*x], row[3*x+1], row[3*x+2] = uint8(white(r, a)>>8), uint8(white(gg, a)>>8), uint8(white(bl, a)>>8)
			}
			zw.Write(row)
		}
	}
	zw.Close()
	return pdfImage{Width: w, Height: h, BitsPerComponent: 8, ColorSpace: cs, Filter: "FlateDecode", Data: buf.Bytes()}
}

// bilevelImage packs a black-and-white page one bit per pixel, as the
// scanner stored it: eight times smaller than gray before compression.
func bilevelImage(g *image.Gray) pdfImage {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	stride := (w + 7) / 8
	raw := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride:]
		out := raw[y*stride:]
		for x := 0; x < w; x++ {
			if row[x] >= 128 { // 1 is white in DeviceGray
				out[x>>3] |= 0x80 >> (x & 7)
			}
		}
	}
	return pdfImage{Width: w, Height: h, BitsPerComponent: 1, ColorSpace: "DeviceGray", Filter: "FlateDecode", Data: deflate(raw)}
}

// deflate compresses for embedding. The fastest level: it runs on the
// per-page path, and scans (paper texture, noise) gain little from harder
// searching.
func deflate(raw []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed) // a valid level
	zw.Write(raw)                                      // writes to a bytes.Buffer cannot fail
	zw.Close()
	return buf.Bytes()
}
