package scanset

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	frames, err := tiffFrames(data)
	if err != nil {
		t.Fatal(err)
	}
	return frames
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
	p, err := encodePNG(g, 300, png.BestCompression)
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

// The hard set's own faults are deterministic too: a small page with all
// of them at once, twice from one seed.
func TestHardFaultsDeterministic(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	var out [2][]byte
	for i := range out {
		j := &pageJob{build: randomForm, dpi: 72, sealOver: true, signOver: true, back: notice, spec: scanSpec{
			skew: -4, rotation: 270, color: true, show: 0.15, specks: 5,
			sigma: 15, salt: 0.004, shift: [2]float64{6, -5}, light: 0.4, soft: 1,
		}}
		if err := renderPage(fs, j, rand.New(rand.NewPCG(5, 6))); err != nil {
			t.Fatal(err)
		}
		if out[i], err = encodeJPEGNoDPI(j.img, 40); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("two renders of one seed differ")
	}
}

// The lid shows where the sheet left the glass: moved right and up, the
// border runs down the left edge and along the bottom, and the sheet's
// own white stays white.
func TestLidBorder(t *testing.T) {
	const dpi = 50
	w, h := pagePixels(dpi)
	lid := newPlanes(w, h, 1).lid(rand.New(rand.NewPCG(1, 2)), 0, [2]float64{10, -8}, dpi)
	at := func(x, y int) float32 { return lid.p[0][y*w+x] }
	mm := dpi / 25.4
	for _, c := range []struct {
		name string
		x, y int
		dark bool
	}{
		{"left edge", int(5 * mm), h / 2, true},
		{"bottom edge", w / 2, h - 1 - int(4*mm), true},
		{"right edge", w - 2, h / 2, false},
		{"top edge", w / 2, 1, false},
		{"centre", w / 2, h / 2, false},
	} {
		if v := at(c.x, c.y); (v < 0.5) != c.dark {
			t.Errorf("%s: %.2f, want dark=%v", c.name, v, c.dark)
		}
	}
	j := &pageJob{dpi: 200, spec: scanSpec{shift: [2]float64{10, -8}, rotation: 90}}
	d := describe(j, &outputFile{format: "png"})
	if want := "lid border: top 10.0 mm, left 8.0 mm"; len(d) != 1 || d[0] != want {
		t.Errorf("describe: %q, want %q (left and bottom, turned clockwise)", d, want)
	}
}

// Every class is there, its pages named for it, each of the four turns
// once per four pages, and the set checks out against its catalog: sizes,
// colours, the resolution recorded (none for no-dpi), NFC truth.
func TestHardSet(t *testing.T) {
	files, err := Hard(1, HardSeed)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(HardClasses) {
		t.Fatalf("%d files, want one per class (%d)", len(files), len(HardClasses))
	}
	for i, f := range files {
		p := f.Pages[0]
		if p.Class != HardClasses[i] || !strings.HasPrefix(f.Name, p.Class+"-01.") {
			t.Errorf("%s: class %q, want %q opening the name", f.Name, p.Class, HardClasses[i])
		}
		if (p.Class == ClassNoDPI) != p.NoDPI {
			t.Errorf("%s: no_dpi %v", f.Name, p.NoDPI)
		}
		if p.Text == "" || p.Blank {
			t.Errorf("%s: no text", f.Name)
		}
		if p.Class != ClassSkew && len(p.Degradations) == 0 {
			t.Errorf("%s: no degradations listed", f.Name)
		}
	}
	dir := t.TempDir()
	if err := Write(dir, filepath.Join(dir, "truth"), files); err != nil {
		t.Fatal(err)
	}
	if err := Check(dir); err != nil {
		t.Error(err)
	}
	for c := range HardClasses {
		seen := map[int]bool{}
		for _, o := range hard(4, HardSeed)[4*c : 4*c+4] {
			seen[o.pages[0].spec.rotation] = true
		}
		if len(seen) != 4 {
			t.Errorf("class %s: turns %v, want each of the four once", HardClasses[c], seen)
		}
	}
}
