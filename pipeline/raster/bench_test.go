package raster

import (
	"image"
	"image/jpeg"
	"os"
	"testing"
)

func loadGray(b *testing.B, path string) *image.Gray {
	f, err := os.Open(path)
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	}
	b.Fatal("unexpected image type")
	return nil
}

func BenchmarkThumbnail(b *testing.B) {
	g := loadGray(b, "/tmp/t1.jpg")
	for b.Loop() {
		Thumbnail(g, 300)
	}
}

func BenchmarkMeasure(b *testing.B) {
	g := loadGray(b, "/tmp/t1.jpg")
	th, _ := Thumbnail(g, 300)
	for b.Loop() {
		Measure(FindInk(th, 150))
	}
}

// BenchmarkRender straightens an A4 page at 300 dpi tilted 6.5°, as it
// lies and turned a quarter (as deskew does a page scanned sideways).
func BenchmarkRender(b *testing.B) {
	g := loadGray(b, "../../testdata/scans/form-300.jpg")
	w, h := g.Rect.Dx(), g.Rect.Dy()
	b.Run("upright", func(b *testing.B) {
		m := RotateAbout(6.5, float64(w)/2, float64(h)/2)
		for b.Loop() {
			Render(g, m, w, h)
		}
	})
	b.Run("turned", func(b *testing.B) {
		turn, ow, oh := QuarterTurn(1, w, h)
		m := turn.Then(RotateAbout(6.5, float64(ow)/2, float64(oh)/2)).Invert()
		for b.Loop() {
			Render(g, m, ow, oh)
		}
	})
}

// BenchmarkRedPrint: a red chroma plane of an A4 page at 100 dpi (a
// 200-dpi scan's chroma) holding a red title and a seal.
func BenchmarkRedPrint(b *testing.B) {
	const dpi = 100.0
	mm := dpi / 25.4
	red := image.NewGray(image.Rect(0, 0, int(210*mm), int(297*mm)))
	for y := 0; y < red.Rect.Dy(); y++ {
		for x := 0; x < red.Rect.Dx(); x++ {
			fx, fy := float64(x)/mm, float64(y)/mm
			title := fx > 40 && fx < 170 && fy > 20 && fy < 24 && int(fx*10)%35 < 25
			d := (fx-150)*(fx-150) + (fy-230)*(fy-230)
			ring := d > 17*17 && d < 19*19
			if title || ring {
				red.Pix[y*red.Stride+x] = 90
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		RedPrint(red, dpi)
	}
}
