package scan

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
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

// greyStamped is img, a grey page, with a seal stamped over it in grey
// ink: rings of grey over the print, with the print darker where they
// cross.
func ring(d2, w int) bool {
	r := int(math.Sqrt(float64(d2)))
	return r < w/8 && r > w/10 || r < w/12 && r > w/12-6
}

func greyStamped(img *image.RGBA) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			v := img.Pix[y*img.Stride+4*x]
			if dx, dy := x-3*b.Dx()/4, y-3*b.Dy()/4; ring(dx*dx+dy*dy, b.Dx()) && v > 100 {
				v = 115
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	return g
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
	seal := printed(w, h, color.RGBA{250, 248, 240, 255}, true)
	greySeal := greyStamped(printed(w, h, color.RGBA{240, 240, 240, 255}, false))
	jpg := write(t, "scan.jpg", encode(t, func(b *bytes.Buffer) error {
		return jpeg.Encode(b, seal, &jpeg.Options{Quality: 90})
	}))
	tests := []struct {
		name, path, choice, colour string
		shows                      image.Image // what the page must look like (mrc)
	}{
		{"bilevel PNG", pngFile(t, bw, "bw.png"), ChoiceG4, "DeviceGray", nil},
		{"grey PNG", pngFile(t, grey, "grey.png"), ChoiceMRC, "DeviceGray", grey},
		{"colour PNG with a seal", pngFile(t, seal, "seal.png"), ChoiceMRC, "DeviceRGB", seal},
		{"colour PNG of black print", pngFile(t, printed(w, h, color.RGBA{250, 250, 250, 255}, false), "black.png"),
			ChoiceG4, "DeviceGray", nil},
		{"JPEG at 300 dpi", jpg, ChoiceMRC, "DeviceRGB", seal},
		// A seal in grey ink over the print keeps its tone (lightInk).
		{"grey seal over print", pngFile(t, greySeal, "greyseal.png"), ChoiceMRC, "DeviceGray", greySeal},
		// Not print on paper: mostly mid-tones, which layers would lose.
		{"photograph PNG", pngFile(t, photo(w, h), "photo.png"), ChoiceJPEG(CompactQuality), "DeviceGray", nil},
		{"photograph JPEG", write(t, "photo.jpg", encode(t, func(b *bytes.Buffer) error {
			return jpeg.Encode(b, photo(w, h), &jpeg.Options{Quality: 90})
		})), ChoiceOriginal, "DeviceGray", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := openPage(t, tc.path, 1)
			im, choice, err := p.Compact()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d bytes, original %d", choice, im.Size(), len(p.Embed.Data))
			if choice != tc.choice || im.ColorSpace != tc.colour {
				t.Fatalf("choice %q %s, want %q %s", choice, im.ColorSpace, tc.choice, tc.colour)
			}
			switch choice {
			case ChoiceOriginal:
				if !bytes.Equal(im.Data, p.Embed.Data) {
					t.Error("original not passed through")
				}
				return
			case ChoiceG4:
				checkG4Exact(t, im, p.Gray)
				return
			case ChoiceMRC:
				checkShows(t, im, tc.shows)
				if tc.shows == greySeal && len(im.Foreground) != 2 {
					t.Errorf("%d layers over the paper, want the print's and the light ink's", len(im.Foreground))
				}
			}
			if im.Size() >= len(p.Embed.Data)/2 {
				t.Errorf("%d bytes, not under half the original's %d", im.Size(), len(p.Embed.Data))
			}
		})
	}
}

// photo is a grey page of smooth tones and texture, as a photograph or a
// screened picture: no paper, no print.
func photo(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	n := noise(11)
	for y := range h {
		for x := range w {
			v := 128 + 60*math.Sin(float64(x)/37)*math.Cos(float64(y)/53) + float64(n.next()%24)
			g.Pix[y*g.Stride+x] = uint8(v)
		}
	}
	return g
}

// checkShows has poppler render the page image and compares it with what
// the page looked like: ink and seal must show in their colours and the
// paper in its tone, each rendered pixel within 48 levels of the range
// of the original's and its neighbours' (the mask's edges fall between
// the scan's pixels, and poppler smooths them).
func checkShows(t *testing.T, im pdf.Image, want image.Image) {
	t.Helper()
	size := want.Bounds().Size()
	var b bytes.Buffer
	w, err := pdf.NewWriter(&b, pdf.Info{Title: "mrc"})
	if err != nil {
		t.Fatal(err)
	}
	pw, ph := float64(size.X), float64(size.Y)
	if err := w.AddPage(pdf.Page{Width: pw, Height: ph, Image: im, Matrix: [6]float64{pw, 0, 0, ph, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := write(t, "mrc.pdf", b.Bytes())
	// Two squares of 300 px, one of print and one over the seal, at four
	// times the image's resolution, each pixel read at its middle.
	const side, k = 300, 4
	bad := 0
	for _, at := range []image.Point{{size.X / 10, 0}, {size.X*3/4 - side/2, size.Y*3/4 - side/2}} {
		out := filepath.Join(t.TempDir(), "page")
		args := []string{"-r", fmt.Sprint(72 * k), "-x", fmt.Sprint(k * at.X), "-y", fmt.Sprint(k * at.Y),
			"-W", fmt.Sprint(k * side), "-H", fmt.Sprint(k * side), "-png", "-singlefile", path, out}
		if msg, err := exec.Command("pdftoppm", args...).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, msg)
		}
		data, err := os.ReadFile(out + ".png")
		if err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for y := range side {
			for x := range side {
				r0, g0, b0, _ := got.At(k*x+k/2, k*y+k/2).RGBA()
				// Right if each channel is within the range of the pixel's
				// and its neighbours': an edge may move by a pixel, or fall
				// inside one and blend its two sides.
				var lo, hi [3]uint32
				for i := range lo {
					lo[i] = math.MaxUint32
				}
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						r1, g1, b1, _ := want.At(at.X+x+dx, at.Y+y+dy).RGBA()
						for i, v := range []uint32{r1 >> 8, g1 >> 8, b1 >> 8} {
							lo[i], hi[i] = min(lo[i], v), max(hi[i], v)
						}
					}
				}
				off := uint32(0)
				for i, v := range []uint32{r0 >> 8, g0 >> 8, b0 >> 8} {
					if v < lo[i] {
						off = max(off, lo[i]-v)
					}
					if v > hi[i] {
						off = max(off, v-hi[i])
					}
				}
				if off > 48 {
					if bad < 5 {
						t.Logf("(%d, %d) rendered %d %d %d", at.X+x, at.Y+y, r0>>8, g0>>8, b0>>8)
					}
					bad++
				}
			}
		}
	}
	if share := float64(bad) / (2 * side * side); share > 0.01 {
		t.Errorf("%.2f %% of the pixels rendered off by more than 48 levels (limit 1 %%)", 100*share)
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
// PNG fixture of black print (splitting it into layers, encoding them).
func BenchmarkCompact(b *testing.B) { benchmarkCompact(b, "notice-skew7-300.png") }

// TestCompactColourPNGDecodedOnce: a colour PNG's RGB comes out of the
// page's one decode, and its compact image is the very one a second
// decode for compaction gave.
func TestCompactColourPNGDecodedOnce(t *testing.T) {
	path := pngFile(t, printed(1240, 1754, color.RGBA{250, 246, 232, 255}, true), "colour.png")
	once := openPage(t, path, 1)
	if once.rgb == nil {
		t.Fatal("a colour PNG's decode kept no RGB for compaction")
	}
	twice := openPage(t, path, 1)
	twice.rgb = nil // as before: compaction decodes the PNG again
	a, choiceA, err := once.Compact()
	if err != nil {
		t.Fatal(err)
	}
	b, choiceB, err := twice.Compact()
	if err != nil {
		t.Fatal(err)
	}
	if choiceA != ChoiceMRC || choiceA != choiceB || !bytes.Equal(pageBytes(a), pageBytes(b)) {
		t.Errorf("compacted from the one decode: %s, %d bytes; from a second: %s, %d bytes", choiceA, a.Size(), choiceB, b.Size())
	}
	if once.rgb != nil {
		t.Error("the decode's RGB stays in memory after compaction")
	}
	grey := openPage(t, pngFile(t, greyStamped(printed(1240, 1754, color.RGBA{230, 230, 230, 255}, true)), "grey.png"), 1)
	if grey.rgb != nil {
		t.Error("a grey PNG kept RGB")
	}
}

// pageBytes is every encoded stream of a page's image, its layers' too.
func pageBytes(im pdf.Image) []byte {
	b := append([]byte{}, im.Data...)
	for _, f := range im.Foreground {
		b = append(append(b, f.Mask.Data...), f.Colour.Data...)
	}
	return b
}
