package scan

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// noise is a fixed pseudo-random sequence (a linear congruential
// generator), the same on every run.
type noise uint32

func (n *noise) next() uint32 { *n = *n*1664525 + 1013904223; return uint32(*n >> 8) }

// printed draws lines of letter-like black blocks, placed irregularly as
// text is, on paper of the given colour, with a red seal when seal is set:
// a page's structure at scan resolution, irregular enough that encodings
// differ in size as on real pages.
func printed(w, h int, paper color.RGBA, seal bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var ink [64][256]bool // per line and letter cell, whether it is inked
	n := noise(7)
	for i := range ink {
		for j := range ink[i] {
			ink[i][j] = n.next()%3 != 0
		}
	}
	for y := range h {
		for x := range w {
			c := paper
			if d := uint8(n.next() % 6); paper.R < 255 { // paper texture, but for a bilevel page's
				c.R, c.G, c.B = c.R-d, c.G-d, c.B-d
			}
			line, cell := y/40%64, x/5%256
			if y%40 < 22 && y%40 > 4 && x > w/10 && x < 9*w/10 && ink[line][cell] && x%5 < 3 {
				c = color.RGBA{15, 15, 15, 255}
			}
			if dx, dy := x-3*w/4, y-3*h/4; seal && dx*dx+dy*dy < (w/8)*(w/8) && dx*dx+dy*dy > (w/10)*(w/10) {
				c = color.RGBA{210, 30, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func pngFile(t *testing.T, img image.Image, name string) string {
	return write(t, name, encode(t, func(b *bytes.Buffer) error { return png.Encode(b, img) }))
}

func TestCompactChoices(t *testing.T) {
	const w, h = 1240, 1754 // A4 at 150 dpi, which PNGs without pHYs are not: they get AssumedDPI
	// A black-and-white page: a fixture scan's print, thresholded.
	bw := openPage(t, filepath.Join("..", "..", "testdata", "scans", "form-300.jpg"), 1).Gray
	for i, v := range bw.Pix {
		bw.Pix[i] = 0
		if v >= 128 {
			bw.Pix[i] = 255
		}
	}
	grey := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range printed(w, h, color.RGBA{200, 200, 200, 255}, false).Pix {
		if i%4 == 0 {
			grey.Pix[i/4] = v
		}
	}
	jpg := write(t, "scan.jpg", encode(t, func(b *bytes.Buffer) error {
		return jpeg.Encode(b, printed(w, h, color.RGBA{250, 248, 240, 255}, true), &jpeg.Options{Quality: 90})
	}))
	tests := []struct {
		name, path, choice, colour string
	}{
		{"bilevel PNG", pngFile(t, bw, "bw.png"), ChoiceG4, "DeviceGray"},
		{"grey PNG", pngFile(t, grey, "grey.png"), ChoiceJPEG(CompactQuality), "DeviceGray"},
		{"colour PNG with a seal", pngFile(t, printed(w, h, color.RGBA{250, 248, 240, 255}, true), "seal.png"),
			ChoiceJPEG(CompactQuality), "DeviceRGB"},
		{"colour PNG of black print", pngFile(t, printed(w, h, color.RGBA{250, 250, 250, 255}, false), "black.png"),
			ChoiceG4, "DeviceGray"},
		{"JPEG at 300 dpi", jpg, ChoiceOriginal, "DeviceRGB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := openPage(t, tc.path, 1)
			im, choice, err := p.Compact()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d bytes, original %d", choice, len(im.Data), len(p.Embed.Data))
			if choice != tc.choice || im.ColorSpace != tc.colour {
				t.Fatalf("choice %q %s, want %q %s", choice, im.ColorSpace, tc.choice, tc.colour)
			}
			if choice == ChoiceOriginal {
				if !bytes.Equal(im.Data, p.Embed.Data) {
					t.Error("original not passed through")
				}
				return
			}
			if choice == ChoiceG4 {
				checkG4Exact(t, im, p.Gray)
				return
			}
			if len(im.Data) >= len(p.Embed.Data)/2 {
				t.Errorf("%d bytes, not under half the original's %d", len(im.Data), len(p.Embed.Data))
			}
		})
	}
}

func TestCompactShrinksFineScans(t *testing.T) {
	// 600 dpi grey: encoded at CompactDPI, half the pixels each way.
	const w, h = 1200, 800
	g := image.NewGray(image.Rect(0, 0, w, h))
	tex := noise(3)
	for i := range g.Pix {
		g.Pix[i] = uint8(100 + tex.next()%60)
	}
	p := &Page{Number: 1, Gray: g, DPI: 600, Embed: flateImage(g, g)}
	im, choice, err := p.Compact()
	if err != nil {
		t.Fatal(err)
	}
	if choice != ChoiceJPEG(CompactQuality) || im.Width != w/2 || im.Height != h/2 {
		t.Errorf("%s %dx%d, want %s %dx%d", choice, im.Width, im.Height, ChoiceJPEG(CompactQuality), w/2, h/2)
	}
}

// checkG4Exact embeds the G4 image in a PDF and has poppler decode it: a
// black-and-white page must come back pixel for pixel.
func checkG4Exact(t *testing.T, im pdf.Image, want *image.Gray) {
	t.Helper()
	if _, err := exec.LookPath("pdfimages"); err != nil {
		t.Fatal("pdfimages not installed: run deploy/setup.sh")
	}
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, pdf.Info{Title: "g4"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddPage(pdf.Page{Width: 100, Height: 140, Image: im, Matrix: [6]float64{100, 0, 0, 140, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := write(t, "g4.pdf", b.Bytes())
	list, err := exec.Command("pdfimages", "-list", path).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "ccitt") {
		t.Fatalf("pdfimages -list: %v\n%s", err, list)
	}
	dir := t.TempDir()
	if out, err := exec.Command("pdfimages", "-png", path, filepath.Join(dir, "img")).CombinedOutput(); err != nil {
		t.Fatalf("pdfimages -png: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "img-000.png"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds().Size() != want.Rect.Size() {
		t.Fatalf("decoded %v, want %v", got.Bounds().Size(), want.Rect.Size())
	}
	bad := 0
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			g := color.GrayModel.Convert(got.At(x, y)).(color.Gray).Y
			if (g >= 128) != (want.GrayAt(x, y).Y >= 128) {
				bad++
			}
		}
	}
	if bad != 0 {
		t.Errorf("%d pixels differ after G4", bad)
	}
}

// BenchmarkCompact: the cost compaction adds to a page, on a 300-dpi
// colour PNG fixture (decode of the PNG data, JPEG encode).
func BenchmarkCompact(b *testing.B) {
	f, err := Open(filepath.Join("..", "..", "testdata", "scans", "notice-skew7-300.png"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.Page(1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := p.Compact(); err != nil {
			b.Fatal(err)
		}
	}
}
