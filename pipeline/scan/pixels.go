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
	default:
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride:]
			for x := 0; x < w; x++ {
				r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				// Composite on white, then take luminance.
				r, gg, bb = r+0xffff-a, gg+0xffff-a, bb+0xffff-a
				row[x] = luma(uint8(min(r, 0xffff)>>8), uint8(min(gg, 0xffff)>>8), uint8(min(bb, 0xffff)>>8))
			}
		}
	}
	return g
}

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

// toRGB flattens any image to 8-bit RGBA on white.
func toRGB(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := out.PixOffset(x, y)
			out.Pix[i] = uint8(min(r+0xffff-a, 0xffff) >> 8)
			out.Pix[i+1] = uint8(min(g+0xffff-a, 0xffff) >> 8)
			out.Pix[i+2] = uint8(min(bl+0xffff-a, 0xffff) >> 8)
			out.Pix[i+3] = 255
		}
	}
	return out
}

// flateImage encodes an image PDF cannot take as it is: 8-bit gray when it
// has no colour, 8-bit RGB otherwise.
func flateImage(img image.Image) pdfImage {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var raw []byte
	cs := "DeviceGray"
	if isGray(img) {
		g := toGray(img)
		raw = make([]byte, 0, w*h)
		for y := 0; y < h; y++ {
			raw = append(raw, g.Pix[y*g.Stride:y*g.Stride+w]...)
		}
	} else {
		cs = "DeviceRGB"
		rgb := toRGB(img)
		raw = make([]byte, 0, 3*w*h)
		for i := 0; i < len(rgb.Pix); i += 4 {
			raw = append(raw, rgb.Pix[i], rgb.Pix[i+1], rgb.Pix[i+2])
		}
	}
	return pdfImage{Width: w, Height: h, BitsPerComponent: 8, ColorSpace: cs, Filter: "FlateDecode", Data: deflate(raw)}
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
