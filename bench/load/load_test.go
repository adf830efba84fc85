package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestTagged checks that a tagged scan is new bytes that decode to the
// same pixels: a new SHA-256, the same OCR work.
func TestTagged(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	for _, pg := range []poolPage{{name: "a.jpg", data: j.Bytes(), contentType: "image/jpeg"}, {name: "a.png", data: p.Bytes(), contentType: "image/png"}} {
		a, b := tagged(pg, "dossier 1 page 1"), tagged(pg, "dossier 1 page 2")
		if bytes.Equal(a, b) || bytes.Equal(a, pg.data) {
			t.Errorf("%s: tagged copies are not all different", pg.name)
		}
		want, _, err := image.Decode(bytes.NewReader(pg.data))
		if err != nil {
			t.Fatal(err)
		}
		got, format, err := image.Decode(bytes.NewReader(a))
		if err != nil {
			t.Fatalf("%s: tagged copy does not decode: %v", pg.name, err)
		}
		if got.Bounds() != want.Bounds() {
			t.Fatalf("%s (%s): tagged copy is %v, the scan %v", pg.name, format, got.Bounds(), want.Bounds())
		}
		for y := range want.Bounds().Dy() {
			for x := range want.Bounds().Dx() {
				if color.GrayModel.Convert(got.At(x, y)) != color.GrayModel.Convert(want.At(x, y)) {
					t.Fatalf("%s: pixel %d,%d differs", pg.name, x, y)
				}
			}
		}
	}
}

func TestMinIOKind(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{".minio.sys/config/config.json/xl.meta", "MinIO's own"},
		{".minio.sys/tmp/.trash/0c1d/xl.meta", "MinIO tmp and trash"},
		{"load-originals/originals/ab/ab12/xl.meta", "originals"},
		{"load-derived/results/pages/ab/ab12/d1.json/xl.meta", "page results"},
		{"load-derived/dossiers/UBND-LOAD-261126-0001/signed-ab12.pdf/xl.meta", "dossier signed"},
		{"load-derived/dossiers/UBND-LOAD-261126-0001/assembled-d1.pdf/0c1d/part.1", "dossier assembled"},
		{"load-derived/staging/UBND-LOAD-261126-0001/ab12/xl.meta", "staging"},
	} {
		if got := minioKind(c.path); got != c.want {
			t.Errorf("minioKind(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}
