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

func BenchmarkRender(b *testing.B) {
	g := loadGray(b, "/tmp/t1.jpg")
	m := RotateAbout(6.5, 1240, 1754)
	for b.Loop() {
		Render(g, m, 2480, 3508)
	}
}
