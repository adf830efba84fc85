package scan

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/tiff"
)

// TestChroma: colour pages in every format give the pull of their pixels
// towards red and blue, where the colour is; grey pages give none.
func TestChroma(t *testing.T) {
	const w, h = 200, 120
	rgb := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{235, 233, 228, 255} // paper
			switch {
			case x >= 20 && x < 60:
				c = color.RGBA{200, 40, 50, 255} // a seal's red
			case x >= 120 && x < 160:
				c = color.RGBA{35, 60, 160, 255} // a pen's blue
			case y >= 50 && y < 60:
				c = color.RGBA{25, 25, 28, 255} // print
			}
			rgb.Set(x, y, c)
		}
	}
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	colourJPEG := enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, rgb, &jpeg.Options{Quality: 90}) })
	colourPNG := enc(func(b *bytes.Buffer) error { return png.Encode(b, rgb) })
	colourTIFF := enc(func(b *bytes.Buffer) error { return tiff.Encode(b, rgb, nil) })
	grey := image.NewGray(rgb.Rect)
	for i := range grey.Pix {
		grey.Pix[i] = 200
	}
	greyJPEG := enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, grey, nil) })
	greyPNG := enc(func(b *bytes.Buffer) error { return png.Encode(b, grey) })

	for _, tc := range []struct {
		name   string
		data   []byte
		colour bool
	}{
		{"colour.jpg", colourJPEG, true}, {"colour.png", colourPNG, true}, {"colour.tif", colourTIFF, true},
		{"grey.jpg", greyJPEG, false}, {"grey.png", greyPNG, false},
	} {
		f, err := OpenBytes(tc.name, tc.data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.Page(1)
		if err != nil {
			t.Fatal(err)
		}
		c := p.Chroma()
		if !tc.colour {
			if c != nil {
				t.Errorf("%s: chroma of a grey page", tc.name)
			}
			continue
		}
		if c == nil || c.Scale != 2 || c.Red.Rect.Dx() != w/2 || c.Red.Rect.Dy() != h/2 {
			t.Fatalf("%s: chroma %+v", tc.name, c)
		}
		at := func(g *image.Gray, x, y int) uint8 { return g.Pix[(y/2)*g.Stride+x/2] }
		if r := at(c.Red, 40, 20); r < 80 {
			t.Errorf("%s: red ink's R−Y %d", tc.name, r)
		}
		if b := at(c.Blue, 140, 20); b < 70 {
			t.Errorf("%s: blue ink's B−Y %d", tc.name, b)
		}
		for _, pt := range [][2]int{{90, 20}, {90, 55}} { // paper, print
			if r, b := at(c.Red, pt[0], pt[1]), at(c.Blue, pt[0], pt[1]); r > 12 || b > 12 {
				t.Errorf("%s: paper or print at %v has chroma %d, %d", tc.name, pt, r, b)
			}
		}
		if at(c.Red, 140, 20) > 12 || at(c.Blue, 40, 20) > 12 {
			t.Errorf("%s: red and blue mixed up", tc.name)
		}
		if p.Chroma() != c {
			t.Errorf("%s: chroma decoded twice", tc.name)
		}
	}
}
