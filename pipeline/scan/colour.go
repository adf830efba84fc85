package scan

import (
	"image"
	"image/color"
)

// Chroma is how far a colour page's pixels lean towards red and towards
// blue: the colours of seals and of signatures, which the OCR's copy of the
// page drops (pipeline's cleanup) while the dossier keeps them. Red is R−Y
// and Blue B−Y (Y the page's luminance) where positive, 0 elsewhere, at half
// the page's resolution: the resolution JPEG's usual 4:2:0 sampling keeps
// colour at, and a quarter of the memory.
type Chroma struct {
	Red, Blue *image.Gray
	// Scale is how many page pixels one chroma pixel spans each way.
	Scale int
}

func newChroma(w, h int) *Chroma {
	r := image.Rect(0, 0, (w+1)/2, (h+1)/2)
	return &Chroma{Red: image.NewGray(r), Blue: image.NewGray(r), Scale: 2}
}

// Chroma returns the page's chroma, nil for a grey or black-and-white
// page. A colour JPEG's is decoded on the first call (at half size, a
// fraction of the full decode), so that pages whose colour nobody asks for
// cost nothing more.
func (p *Page) Chroma() *Chroma {
	if p.chromaOf != nil {
		p.chroma, p.chromaOf = p.chromaOf(), nil
	}
	return p.chroma
}

// chromaOf computes the chroma of a colour image decoded by Go, nil for a
// grey one.
func chromaOf(img image.Image) *Chroma {
	if isGray(img) {
		return nil
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	c := newChroma(w, h)
	cw := c.Red.Rect.Dx()
	var at func(x, y int) (r, g, bl uint8)
	switch m := img.(type) {
	case *image.YCbCr:
		at = func(x, y int) (uint8, uint8, uint8) {
			yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
			return color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		}
	default:
		rgba := rgbaAt(img)
		at = func(x, y int) (uint8, uint8, uint8) {
			r, g, bl, a := rgba(b.Min.X+x, b.Min.Y+y)
			return uint8(white(r, a) >> 8), uint8(white(g, a) >> 8), uint8(white(bl, a) >> 8)
		}
	}
	for cy := 0; cy < c.Red.Rect.Dy(); cy++ {
		for cx := 0; cx < cw; cx++ {
			var sr, sb, n int
			for y := 2 * cy; y < min(h, 2*cy+2); y++ {
				for x := 2 * cx; x < min(w, 2*cx+2); x++ {
					r, g, bl := at(x, y)
					yy := int(luma(r, g, bl))
					sr += max(0, int(r)-yy)
					sb += max(0, int(bl)-yy)
					n++
				}
			}
			c.Red.Pix[cy*cw+cx] = uint8(sr / n)
			c.Blue.Pix[cy*cw+cx] = uint8(sb / n)
		}
	}
	return c
}
