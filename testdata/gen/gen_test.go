package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/image/tiff"
)

func TestNumberWords(t *testing.T) {
	for n, want := range map[int]string{
		5: "năm", 10: "mười", 15: "mười lăm", 21: "hai mươi mốt", 24: "hai mươi bốn",
		105: "một trăm linh năm", 110: "một trăm mười", 1986: "một nghìn chín trăm tám mươi sáu",
		2000: "hai nghìn", 2025: "hai nghìn không trăm hai mươi lăm",
	} {
		if got := numberWords(n); got != want {
			t.Errorf("numberWords(%d) = %q, want %q", n, got, want)
		}
	}
}

// An ID must agree with the holder's birth date, gender and province of
// birth registration (shared/DOMAIN.md).
func TestIDsMatchBirth(t *testing.T) {
	check := func(p person) {
		t.Helper()
		g := (p.born.year/100 - 19) * 2
		if p.female {
			g++
		}
		prefix := p.birth.code + strconv.Itoa(g) + strconv.Itoa(p.born.year%100 + 100)[1:]
		if len(p.id) != 12 || !strings.HasPrefix(p.id, prefix) {
			t.Errorf("%s born %s: ID %s does not start with %s", p.name, p.born, p.id, prefix)
		}
	}
	h := anHousehold()
	for _, p := range append([]person{h.head, h.spouse}, h.children...) {
		check(p)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		h := randomHousehold(rng)
		for _, p := range append([]person{h.head, h.spouse, h.newborn(rng, date{1, 2, 2025})}, h.children...) {
			check(p)
		}
		for _, c := range h.children {
			if !strings.HasPrefix(c.name, h.surname()+" ") {
				t.Errorf("child %s does not bear the father's surname %s", c.name, h.surname())
			}
		}
	}
}

// The catalog's conventions: positive skew turns content counter-clockwise
// on screen; rotation turns the page clockwise.
func TestTurnConventions(t *testing.T) {
	pl := newPlanes(201, 101, 1)
	for x := 150; x < 180; x++ { // a mark right of the centre
		pl.p[0][50*201+x] = 0
	}
	turned := pl.rotate(20)
	sumY, n := 0.0, 0.0
	for y := 0; y < 101; y++ {
		for x := 100; x < 201; x++ {
			if v := 1 - turned.p[0][y*201+x]; v > 0.5 {
				sumY += float64(y)
				n++
			}
		}
	}
	if n == 0 || sumY/n >= 50 {
		t.Errorf("skew +20: the mark right of the centre should rise (mean y %.1f, want < 50)", sumY/n)
	}

	pl = newPlanes(4, 2, 1)
	pl.p[0][0] = 0 // top-left
	q := pl.quarterTurns(90)
	if q.w != 2 || q.h != 4 || q.p[0][1] != 0 {
		t.Errorf("rotation 90: top-left should go to top-right of a 2x4 image, got %v", q.p[0])
	}
	q = pl.quarterTurns(270)
	if q.p[0][3*2+0] != 0 {
		t.Errorf("rotation 270: top-left should go to bottom-left, got %v", q.p[0])
	}
}

func grayTestImage(w, h int, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 0))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(4) * 60)
	}
	return g
}

// Each frame of our multi-page TIFF must decode on its own: x/image/tiff
// reads the first IFD only, so point the header at each IFD in turn.
func TestTIFFFrames(t *testing.T) {
	pages := []*image.Gray{grayTestImage(70, 130, 1), grayTestImage(90, 150, 2), grayTestImage(150, 90, 3)}
	data, err := encodeTIFF(pages, 300)
	if err != nil {
		t.Fatal(err)
	}
	frames := decodeTIFFFrames(t, data)
	if len(frames) != len(pages) {
		t.Fatalf("got %d frames, want %d", len(frames), len(pages))
	}
	for i, f := range frames {
		g, ok := f.(*image.Gray)
		if !ok || !bytes.Equal(g.Pix, pages[i].Pix) || g.Rect != pages[i].Rect {
			t.Errorf("frame %d does not round-trip", i+1)
		}
	}
}

func decodeTIFFFrames(t *testing.T, data []byte) []image.Image {
	t.Helper()
	offs, err := tiffIFDOffsets(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []image.Image
	for i, off := range offs {
		b := append([]byte(nil), data...)
		binary.LittleEndian.PutUint32(b[4:], off)
		img, err := tiff.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		out = append(out, img)
	}
	return out
}

func TestResolutionMetadata(t *testing.T) {
	g := grayTestImage(40, 30, 5)
	j, err := encodeJPEG(g, 80, 200)
	if err != nil {
		t.Fatal(err)
	}
	if string(j[6:11]) != "JFIF\x00" || j[13] != 1 || binary.BigEndian.Uint16(j[14:]) != 200 {
		t.Errorf("JFIF header does not say 200 dpi: % x", j[:20])
	}
	if _, err := jpeg.Decode(bytes.NewReader(j)); err != nil {
		t.Errorf("JPEG with our APP0 does not decode: %v", err)
	}
	p, err := encodePNG(g, 300)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(p, []byte("pHYs"))
	if i < 0 || binary.BigEndian.Uint32(p[i+4:]) != 11811 || p[i+12] != 1 {
		t.Errorf("PNG has no pHYs of 11811 pixels per metre")
	}
	if _, err := png.Decode(bytes.NewReader(p)); err != nil {
		t.Errorf("PNG with our pHYs does not decode: %v", err)
	}
}

// Every xref entry must point at its object, and the images must be the
// JPEG files as given.
func TestPDFStructure(t *testing.T) {
	var pages []pdfPage
	for i, g := range []*image.Gray{grayTestImage(60, 80, 7), grayTestImage(60, 80, 8)} {
		j, err := encodeJPEG(g, 80, 300)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, pdfPage{jpeg: j, w: 60, h: 80, gray: i == 1})
	}
	pdf := encodePDF(pages, a4WidthPt, a4HeightPt, "D:20250101000000Z")
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	lines := strings.Split(string(pdf[xref:]), "\n")
	n, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	if n != 1+3+3*len(pages) {
		t.Fatalf("xref has %d entries, want %d", n, 1+3+3*len(pages))
	}
	for obj := 1; obj < n; obj++ {
		off, _ := strconv.Atoi(strings.Fields(lines[2+obj])[0])
		if want := strconv.Itoa(obj) + " 0 obj"; !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q", obj, pdf[off:off+10])
		}
	}
	for _, p := range pages {
		if !bytes.Contains(pdf, p.jpeg) {
			t.Error("a page's JPEG is not embedded as is")
		}
	}
}

// The same seed gives the same page, byte for byte.
func TestDeterministic(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	var out [2][]byte
	for i := range out {
		j := &pageJob{build: randomForm, dpi: 72, spec: scanSpec{skew: 3, rotation: 90, color: true, show: 0.05}, back: notice}
		if err := renderPage(fs, j, rand.New(rand.NewPCG(11, 12))); err != nil {
			t.Fatal(err)
		}
		if out[i], err = encodeJPEG(j.img, 75, 72); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("two renders of one seed differ")
	}
}

// The committed fixtures agree with their catalog: every page decodes at
// the size and resolution catalogued, and every truth file is NFC text.
func TestCommittedFixtures(t *testing.T) {
	root := ".."
	js, err := os.ReadFile(filepath.Join(root, "scans", "catalog.json"))
	if err != nil {
		t.Skip("no fixtures generated yet:", err)
	}
	var catalog []catalogEntry
	if err := json.Unmarshal(js, &catalog); err != nil {
		t.Fatal(err)
	}
	if bad, err := os.ReadFile(filepath.Join(root, "bad", "truncated.jpg")); err != nil {
		t.Error(err)
	} else if _, err := jpeg.Decode(bytes.NewReader(bad)); err == nil {
		t.Error("bad/truncated.jpg decodes; it should be cut short")
	}
	frames := map[string][]image.Image{}
	for _, e := range catalog {
		data, err := os.ReadFile(filepath.Join(root, "scans", e.File))
		if err != nil {
			t.Fatal(err)
		}
		var cfg image.Config
		switch filepath.Ext(e.File) {
		case ".jpg":
			cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
			if err == nil && binary.BigEndian.Uint16(data[14:]) != uint16(e.DPI) {
				t.Errorf("%s: JFIF density is not %d", e.File, e.DPI)
			}
		case ".png":
			cfg, err = png.DecodeConfig(bytes.NewReader(data))
		case ".tif":
			if frames[e.File] == nil {
				frames[e.File] = decodeTIFFFrames(t, data)
			}
			b := frames[e.File][e.Page-1].Bounds()
			cfg = image.Config{ColorModel: color.GrayModel, Width: b.Dx(), Height: b.Dy()}
		case ".pdf":
			cfg = pdfImageConfig(t, data, e.Page)
		}
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
			continue
		}
		if cfg.Width != e.WidthPx || cfg.Height != e.HeightPx {
			t.Errorf("%s page %d: %dx%d, catalog says %dx%d", e.File, e.Page, cfg.Width, cfg.Height, e.WidthPx, e.HeightPx)
		}
		if gray := cfg.ColorModel == color.GrayModel; gray == e.Color {
			t.Errorf("%s page %d: colour is %v, catalog says %v", e.File, e.Page, !gray, e.Color)
		}
		text, err := os.ReadFile(filepath.Join(root, e.Truth))
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(text) || (len(text) == 0) != e.Blank {
			t.Errorf("%s: truth invalid or blankness wrong", e.Truth)
		}
		for _, r := range string(text) {
			if r >= 0x0300 && r <= 0x036F {
				t.Errorf("%s: combining mark %U, truth must be NFC", e.Truth, r)
				break
			}
		}
	}
}

// pdfImageConfig finds the size and colour space of page n's image.
func pdfImageConfig(t *testing.T, pdf []byte, n int) image.Config {
	t.Helper()
	re := regexp.MustCompile(`/Subtype /Image /Width (\d+) /Height (\d+) /ColorSpace /(\w+)`)
	all := re.FindAllSubmatch(pdf, -1)
	if n > len(all) {
		t.Fatalf("PDF has %d images, want page %d", len(all), n)
	}
	m := all[n-1]
	w, _ := strconv.Atoi(string(m[1]))
	h, _ := strconv.Atoi(string(m[2]))
	cm := color.Model(color.RGBAModel)
	if string(m[3]) == "DeviceGray" {
		cm = color.GrayModel
	}
	return image.Config{ColorModel: cm, Width: w, Height: h}
}
