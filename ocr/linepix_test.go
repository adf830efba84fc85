package ocr

import (
	"image"
	"reflect"
	"testing"
)

// TestRawLineImages: Tesseract's line images go through memory raw
// instead of as PNGs (linepix.c), and the words, boxes and confidences
// are those the PNG round trip gives, on the page and on a line of it.
func TestRawLineImages(t *testing.T) {
	g := receipt(t)
	eng, err := NewEngine("vie")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	line := g.SubImage(image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy()/8)).(*image.Gray)
	read := func() (*Result, *Result) {
		page, err := eng.Recognize(g, 150)
		if err != nil {
			t.Fatal(err)
		}
		top, err := eng.RecognizeBlock(line, 150)
		if err != nil {
			t.Fatal(err)
		}
		return page, top
	}

	t.Cleanup(func() { linePNG(false) })
	linePNG(true)
	before := rawLineImages()
	pngPage, pngTop := read()
	if n := rawLineImages() - before; n != 0 {
		t.Fatalf("%d line images written raw with the redirect off", n)
	}
	linePNG(false)
	before = rawLineImages()
	rawPage, rawTop := read()
	n := rawLineImages() - before
	t.Logf("%d line images raw for %d words", n, len(rawPage.Words)+len(rawTop.Words))
	if n == 0 {
		t.Fatal("no line image was written raw: pixWriteMem in linepix.c is not the one Tesseract calls")
	}
	if len(pngPage.Words) == 0 || len(pngTop.Words) == 0 {
		t.Fatalf("nothing read: %d words on the page, %d on its top", len(pngPage.Words), len(pngTop.Words))
	}
	if !reflect.DeepEqual(pngPage, rawPage) {
		t.Errorf("the page read differently with raw line images:\n%s\n---\n%s", pngPage.Text(), rawPage.Text())
	}
	if !reflect.DeepEqual(pngTop, rawTop) {
		t.Errorf("the page's top read differently with raw line images:\n%s\n---\n%s", pngTop.Text(), rawTop.Text())
	}
	before = rawLineImages()
	if !pngFromHere() {
		t.Error("a PNG written from outside Tesseract came back as something else")
	}
	if n := rawLineImages() - before; n != 0 {
		t.Errorf("a PNG written from outside Tesseract counted as %d line images", n)
	}
}

// BenchmarkRecognize reads a page with Tesseract's line images as PNGs
// and raw.
func BenchmarkRecognize(b *testing.B) {
	g := receipt(b)
	eng, err := NewEngine("vie")
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	for _, c := range []struct {
		name string
		png  bool
	}{{"png", true}, {"raw", false}} {
		b.Run(c.name, func(b *testing.B) {
			linePNG(c.png)
			defer linePNG(false)
			for b.Loop() {
				if _, err := eng.Recognize(g, 150); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
