package pdf

// These tests build real PDFs and check them with independent tools:
// poppler (pdftotext, pdffonts, pdfimages, pdftoppm, pdfinfo), qpdf, pdfcpu
// (in-process) and, where installed, Ghostscript. Nothing is compared byte
// for byte with a golden file.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"golang.org/x/text/unicode/norm"
)

// Text of the sample dossier, as OCR would return it. The second line is
// given decomposed (NFD) on purpose: the writer must normalise it.
var (
	lineQuocHieu = "Cộng hòa xã hội chủ nghĩa Việt Nam"
	lineTen      = norm.NFD.String("Nguyễn Thị Ngọc Ẩn")
	lineDau      = "ệ ử ỗ ậ ẵ"
	lineChat     = "Số: 12/2024 ngày 05/06" // tight word gaps
)

// layoutLine places words on a line whose box starts at (x, y) and is size
// high. Word widths are not what the glyphless font would give at 100%
// scaling (0.5 em per character), so horizontal scaling is exercised; gap
// is the space between word boxes.
func layoutLine(text string, x, y, size, gap float64) Line {
	var l Line
	x0 := x
	for i, w := range strings.Fields(text) {
		width := size * (0.45 + 0.1*float64(i%3)) * float64(len([]rune(norm.NFC.String(w))))
		l.Words = append(l.Words, Word{Text: w, Box: Rect{x, y, x + width, y + size}})
		x += width + gap
	}
	l.Box = Rect{x0, y, x - gap, y + size}
	return l
}

func gradientRGBA(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, 255})
		}
	}
	return img
}

func jpegBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// markedGray is a gray image, light except for a black top-left quadrant,
// so a rendering shows where the image's top-left corner went.
func markedGray(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(200 + (x+y)%50)
			if x < w/2 && y < h/2 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{v})
		}
	}
	return img
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// rawPNG assembles a PNG from already-filtered rows: image/png never
// writes 1-bit grayscale, which is what bilevel scans are.
func rawPNG(w, h int, depth, colorType, interlace byte, rows []byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9], ihdr[12] = depth, colorType, interlace
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(rows)
	zw.Close()
	var b bytes.Buffer
	b.Write(pngSignature)
	b.Write(pngChunk("IHDR", ihdr))
	// Two IDAT chunks: the image data may be split anywhere.
	idat := z.Bytes()
	b.Write(pngChunk("IDAT", idat[:len(idat)/2]))
	b.Write(pngChunk("IDAT", idat[len(idat)/2:]))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// bilevelPNG is a 1-bit grayscale PNG with a checker pattern of 8x8 cells.
func bilevelPNG(w, h int) []byte {
	stride := (w + 7) / 8
	var rows []byte
	for y := range h {
		row := make([]byte, 1+stride) // filter byte 0: none
		for x := range w {
			if (x/8+y/8)%2 == 0 {
				row[1+x/8] |= 0x80 >> (x % 8)
			}
		}
		rows = append(rows, row...)
	}
	return rawPNG(w, h, 1, 0, 0, rows)
}

// sample is the three-page dossier most tests look at.
type sample struct {
	pages  []Page
	images []image.Image // source pixels of the lossless (PNG) pages, nil for JPEG
	encs   []string      // pdfimages encoding column per page
	colors []string      // pdfimages color column per page
}

func newSample(t *testing.T) sample {
	t.Helper()
	var s sample

	// Page 1: A4 portrait, RGB JPEG at 72 dpi, slightly skewed by the
	// matrix (as deskew does), three text lines.
	jpg, err := JPEGImage(jpegBytes(t, gradientRGBA(595, 842)))
	if err != nil {
		t.Fatal(err)
	}
	const a4w, a4h = 595.28, 841.89
	th := 0.8 * math.Pi / 180
	c, sn := math.Cos(th), math.Sin(th)
	s.pages = append(s.pages, Page{
		Width: a4w, Height: a4h, Image: jpg,
		Matrix: [6]float64{a4w * c, a4w * sn, -a4h * sn, a4h * c, a4h * sn / 2, -a4w * sn / 2},
		Lines: []Line{
			layoutLine(lineQuocHieu, 90, 760, 16, 5),
			layoutLine(lineTen, 72, 700, 14, 4.5),
			layoutLine(lineChat, 72, 660, 12, 0.6),
		},
	})
	s.images = append(s.images, nil)
	s.encs = append(s.encs, "jpeg")
	s.colors = append(s.colors, "rgb")

	// Page 2: landscape page, an 8-bit gray PNG scanned sideways and turned
	// a quarter by the matrix; text with the hardest diacritics, plus
	// words that must not show (empty and blank).
	gray := markedGray(300, 400)
	gim, err := PNGImage(pngBytes(t, gray))
	if err != nil {
		t.Fatal(err)
	}
	const lw, lh = 400, 300
	dau := layoutLine(lineDau, 50, 200, 20, 8)
	dau.Words = append(dau.Words[:2:2], append([]Word{{Text: ""}, {Text: " \t"}}, dau.Words[2:]...)...)
	s.pages = append(s.pages, Page{
		Width: lw, Height: lh, Image: gim,
		Matrix: [6]float64{0, lh, -lw, 0, lw, 0},
		Lines: []Line{
			dau,
			layoutLine("Ẩn", 50, 150, 20, 8),
		},
	})
	s.images = append(s.images, gray)
	s.encs = append(s.encs, "image")
	s.colors = append(s.colors, "gray")

	// Page 3: a bilevel (1-bit) PNG, no text at all.
	bl := bilevelPNG(200, 100)
	bim, err := PNGImage(bl)
	if err != nil {
		t.Fatal(err)
	}
	blDecoded, err := png.Decode(bytes.NewReader(bl))
	if err != nil {
		t.Fatal(err)
	}
	s.pages = append(s.pages, Page{
		Width: 144, Height: 72, Image: bim,
		Matrix: [6]float64{144, 0, 0, 72, 0, 0},
	})
	s.images = append(s.images, blDecoded)
	s.encs = append(s.encs, "image")
	s.colors = append(s.colors, "gray")
	return s
}

func writeDoc(t *testing.T, info Info, pages []Page) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, info)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if err := w.AddPage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var sampleInfo = Info{
	Title:    "Hồ sơ đăng ký khai sinh",
	Author:   "Bộ phận một cửa",
	Subject:  `Mẫu "thử"`,
	Creator:  `sohoa test (v1) \ x`,
	Producer: "sohoa pipeline/pdf",
	Created:  time.Date(2024, 6, 5, 14, 30, 0, 0, time.FixedZone("ICT", 7*3600)),
}

// saveTemp writes a PDF into the test's temporary directory.
func saveTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tool runs an independent checker. A missing one fails the test rather
// than skip it: deploy/setup.sh installs them all, and a check that quietly
// does not run is no check.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed: run deploy/setup.sh", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkValid runs the structural validators every document must pass.
func checkValid(t *testing.T, path string) {
	t.Helper()
	out := tool(t, "qpdf", "--check", path)
	if !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out, "WARNING") {
		t.Errorf("qpdf --check:\n%s", out)
	}
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.ValidateFile(path, conf); err != nil {
		t.Errorf("pdfcpu strict validation: %v", err)
	}
	fonts := strings.Split(strings.TrimSpace(tool(t, "pdffonts", path)), "\n")
	if len(fonts) < 2 {
		t.Fatalf("pdffonts: unexpected output %q", fonts)
	}
	for _, row := range fonts[2:] {
		// name type(2 words) encoding emb sub uni object ID
		f := strings.Fields(row)
		if len(f) != 9 || f[4] != "yes" || f[6] != "yes" {
			t.Errorf("pdffonts: font not embedded with ToUnicode: %q", row)
		}
	}
}

func expectedLines(p Page) []string {
	var lines []string
	for _, l := range p.Lines {
		var words []string
		for _, w := range l.Words {
			if s := strings.TrimSpace(norm.NFC.String(w.Text)); s != "" {
				words = append(words, s)
			}
		}
		if len(words) > 0 {
			lines = append(lines, strings.Join(words, " "))
		}
	}
	return lines
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \f"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestDossierValidates(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages))
	checkValid(t, path)

	info := tool(t, "pdfinfo", "-isodates", path)
	for _, want := range []string{
		"Title:           Hồ sơ đăng ký khai sinh",
		"Author:          Bộ phận một cửa",
		`Subject:         Mẫu "thử"`,
		`Creator:         sohoa test (v1) \ x`,
		"Pages:           3",
		"CreationDate:    2024-06-05T14:30:00+07",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
}

func TestTextExtraction(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages))
	for i, p := range s.pages {
		n := strconv.Itoa(i + 1)
		want := expectedLines(p)

		plain := nonEmptyLines(tool(t, "pdftotext", "-f", n, "-l", n, path, "-"))
		if strings.Join(plain, "\n") != strings.Join(want, "\n") {
			t.Errorf("page %s: pdftotext\n got %q\nwant %q", n, plain, want)
		}

		// -layout pads with as many spaces as the geometry suggests; the
		// words and their order must still be exactly the same.
		var layout []string
		for _, l := range nonEmptyLines(tool(t, "pdftotext", "-layout", "-f", n, "-l", n, path, "-")) {
			layout = append(layout, strings.Join(strings.Fields(l), " "))
		}
		if strings.Join(layout, "\n") != strings.Join(want, "\n") {
			t.Errorf("page %s: pdftotext -layout\n got %q\nwant %q", n, layout, want)
		}
	}
}

var bboxWord = regexp.MustCompile(`<word xMin="([-0-9.]+)" yMin="([-0-9.]+)" xMax="([-0-9.]+)" yMax="([-0-9.]+)">([^<]*)</word>`)

// TestWordBoxes checks that what a viewer highlights for each word is the
// word's box on the scan: horizontally the word's own box, vertically its
// line's (the whole line shares one font size and baseline).
func TestWordBoxes(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages))
	const tol = 1.0 // points
	for i, p := range s.pages {
		n := strconv.Itoa(i + 1)
		got := bboxWord.FindAllStringSubmatch(tool(t, "pdftotext", "-bbox", "-f", n, "-l", n, path, "-"), -1)
		type box struct {
			text string
			r    Rect
		}
		var want []box
		for _, l := range p.Lines {
			for _, w := range l.Words {
				if s := strings.TrimSpace(norm.NFC.String(w.Text)); s != "" {
					// pdftotext measures from the top of the page.
					want = append(want, box{s, Rect{w.Box.X0, p.Height - l.Box.Y1, w.Box.X1, p.Height - l.Box.Y0}})
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("page %s: %d words, want %d: %q", n, len(got), len(want), got)
		}
		for j, g := range got {
			var v [4]float64
			for k := range v {
				v[k], _ = strconv.ParseFloat(g[k+1], 64)
			}
			w := want[j]
			if text := html.UnescapeString(g[5]); text != w.text {
				t.Errorf("page %s word %d: %q, want %q", n, j, text, w.text)
			}
			if math.Abs(v[0]-w.r.X0) > tol || math.Abs(v[1]-w.r.Y0) > tol ||
				math.Abs(v[2]-w.r.X1) > tol || math.Abs(v[3]-w.r.Y1) > tol {
				t.Errorf("page %s word %q: box %v, want %v within %g pt", n, w.text, v, w.r, tol)
			}
		}
	}
}

func TestImagesPassThrough(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages))
	rows := strings.Split(strings.TrimSpace(tool(t, "pdfimages", "-list", path)), "\n")[2:]
	if len(rows) != len(s.pages) {
		t.Fatalf("pdfimages -list: %d images, want %d:\n%s", len(rows), len(s.pages), strings.Join(rows, "\n"))
	}
	for i, row := range rows {
		// page num type width height color comp bpc enc ...
		f := strings.Fields(row)
		im := s.pages[i].Image
		want := []string{strconv.Itoa(i + 1), strconv.Itoa(i), "image", strconv.Itoa(im.Width), strconv.Itoa(im.Height),
			s.colors[i], strconv.Itoa(colorComponents[im.ColorSpace]), strconv.Itoa(im.BitsPerComponent), s.encs[i]}
		if strings.Join(f[:9], " ") != strings.Join(want, " ") {
			t.Errorf("pdfimages -list row %d: %q, want %q", i, f[:9], want)
		}
	}

	// The JPEG is embedded byte for byte.
	if !bytes.Contains(readFile(t, path), s.pages[0].Image.Data) {
		t.Error("JPEG data not embedded verbatim")
	}

	// The PNG pages decode to exactly the source pixels, which proves the
	// predictor parameters right.
	dir := t.TempDir()
	tool(t, "pdfimages", "-png", path, filepath.Join(dir, "img"))
	for i, src := range s.images {
		if src == nil {
			continue
		}
		got, err := png.Decode(bytes.NewReader(readFile(t, filepath.Join(dir, "img-"+pad3(i)+".png"))))
		if err != nil {
			t.Fatal(err)
		}
		if !sameGray(got, src) {
			t.Errorf("page %d: extracted image differs from the source", i+1)
		}
	}
}

func pad3(i int) string { return strings.Repeat("0", 3-len(strconv.Itoa(i))) + strconv.Itoa(i) }

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameGray(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ab, bb := a.Bounds(), b.Bounds()
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			ga := color.GrayModel.Convert(a.At(ab.Min.X+x, ab.Min.Y+y)).(color.Gray)
			gb := color.GrayModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)).(color.Gray)
			if ga != gb {
				return false
			}
		}
	}
	return true
}

// TestRotatedPage renders the landscape page: the matrix turns the
// portrait scan a quarter counter-clockwise, so the scan's black top-left
// quadrant must land in the page's bottom-left quadrant.
func TestRotatedPage(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "dossier.pdf", writeDoc(t, sampleInfo, s.pages))
	out := filepath.Join(t.TempDir(), "p2")
	tool(t, "pdftoppm", "-f", "2", "-l", "2", "-r", "36", "-gray", "-png", "-singlefile", path, out)
	img, err := png.Decode(bytes.NewReader(readFile(t, out+".png")))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 200 || b.Dy() != 150 {
		t.Fatalf("rendered page 2 at %v, want 200x150 (400x300 pt at 36 dpi)", b.Size())
	}
	for _, q := range []struct {
		x, y float64
		dark bool
	}{{0.25, 0.75, true}, {0.25, 0.25, false}, {0.75, 0.25, false}, {0.75, 0.75, false}} {
		v := color.GrayModel.Convert(img.At(int(q.x*float64(b.Dx())), int(q.y*float64(b.Dy())))).(color.Gray).Y
		if (v < 100) != q.dark {
			t.Errorf("pixel at (%g, %g) of the page has gray %d, want dark=%v", q.x, q.y, v, q.dark)
		}
	}
}

func TestBlankPageDocument(t *testing.T) {
	s := newSample(t)
	path := saveTemp(t, "blank.pdf", writeDoc(t, Info{}, s.pages[2:]))
	checkValid(t, path)
	if text := strings.TrimSpace(tool(t, "pdftotext", path, "-")); text != "" {
		t.Errorf("blank page has text %q", text)
	}
}

func TestDeterministic(t *testing.T) {
	s := newSample(t)
	a := writeDoc(t, sampleInfo, s.pages)
	b := writeDoc(t, sampleInfo, s.pages)
	if !bytes.Equal(a, b) {
		t.Fatal("same input gave different bytes")
	}
	c := writeDoc(t, sampleInfo, s.pages[:2])
	idOf := func(b []byte) string {
		m := regexp.MustCompile(`/ID \[<([0-9A-F]{32})> <([0-9A-F]{32})>\]`).FindSubmatch(b)
		if m == nil {
			t.Fatal("no /ID in trailer")
		}
		return string(m[1])
	}
	if idOf(a) == idOf(c) {
		t.Error("different documents got the same /ID")
	}
}

// TestFontOverhead pins the cost of the text layer's font: the point of a
// glyphless font is that it is almost free.
func TestFontOverhead(t *testing.T) {
	if n := len(glyphlessFontFlate); n > 1024 {
		t.Errorf("font program is %d bytes compressed, want at most 1 KiB", n)
	}
	s := newSample(t)
	var out bytes.Buffer
	w, err := NewWriter(&out, sampleInfo)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.pages {
		if err := w.AddPage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Close writes the font objects together, just before the page tree.
	fontBytes := w.offsets[objPages] - w.offsets[objFont]
	if fontBytes <= 0 || fontBytes > 2048 {
		t.Errorf("font objects take %d bytes, want under 2 KiB", fontBytes)
	}
	t.Logf("font program %d bytes (%d compressed); all font objects %d bytes",
		len(glyphlessFont), len(glyphlessFontFlate), fontBytes)
}

// TestTextLayerCost keeps an eye on what the text layer adds to a page:
// a dense A4 page of about 400 words should stay well under 20 KB.
func TestTextLayerCost(t *testing.T) {
	s := newSample(t)
	page := s.pages[0]
	page.Lines = nil
	vocab := strings.Fields("Ủy ban nhân dân phường Bến Nghé, quận Một cấp giấy chứng nhận quyền sử dụng đất " +
		"cho ông bà Nguyễn Văn Trần Thị số 12/2024 ngày tháng năm căn cước công dân")
	words := 0
	for i := range 40 {
		var l Line
		x, y, h := 72+float64(i%7), 780-float64(i)*18, 11+float64(i%3)/2
		for j := range 8 + i%5 {
			text := vocab[(i*7+j*3)%len(vocab)]
			width := float64(len([]rune(text))) * (5 + float64((i+j)%4)/2)
			l.Words = append(l.Words, Word{Text: text, Box: Rect{x, y, x + width, y + h}})
			x += width + 2.5 + float64(j%3)
			words++
		}
		l.Box = Rect{l.Words[0].Box.X0, y, x, y + h}
		page.Lines = append(page.Lines, l)
	}
	bare := page
	bare.Lines = nil
	// The second page's cost is the page's own: the document's fixed part
	// is paid once.
	perPage := func(p Page) int {
		return len(writeDoc(t, Info{}, []Page{p, p})) - len(writeDoc(t, Info{}, []Page{p})) - len(p.Image.Data)
	}
	withText, without := perPage(page), perPage(bare)
	t.Logf("page without text: %d bytes besides the image; with %d words: %d bytes (%.1f per word); "+
		"fixed per document: %d bytes", without, words, withText, float64(withText-without)/float64(words),
		len(writeDoc(t, Info{}, []Page{bare}))-without-len(bare.Image.Data))
	if withText > 20000 {
		t.Errorf("a %d-word page costs %d bytes besides its image", words, withText)
	}
}

// countingSink counts what reaches the underlying writer.
type countingSink struct{ n int }

func (c *countingSink) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// TestStreaming checks that AddPage hands a page's bytes on at once instead
// of keeping them until Close.
func TestStreaming(t *testing.T) {
	const w, h = 400, 400
	data := make([]byte, w*h)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var sink countingSink
	pw, err := NewWriter(&sink, Info{})
	if err != nil {
		t.Fatal(err)
	}
	page := Page{Width: 288, Height: 288, Matrix: [6]float64{288, 0, 0, 288, 0, 0},
		Image: Image{Width: w, Height: h, BitsPerComponent: 8, ColorSpace: "DeviceGray", Data: data}}
	for range 3 {
		before := sink.n
		if err := pw.AddPage(page); err != nil {
			t.Fatal(err)
		}
		if sink.n-before < len(data) {
			t.Fatalf("AddPage passed on %d bytes of a %d-byte image", sink.n-before, len(data))
		}
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pw.AddPage(page); !errors.Is(err, ErrClosed) {
		t.Errorf("AddPage after Close: %v, want ErrClosed", err)
	}
}

// TestUnusualText covers OCR output the writer must survive: characters
// outside the BMP become U+FFFD, and overlapping word boxes still give
// separate words.
func TestUnusualText(t *testing.T) {
	s := newSample(t)
	p := s.pages[2]
	p.Lines = []Line{{
		Box: Rect{10, 30, 130, 42},
		Words: []Word{
			{Text: "a😀b", Box: Rect{10, 30, 40, 42}},
			{Text: "chồng", Box: Rect{38, 30, 80, 42}}, // overlaps its left neighbour
			{Text: "lấn", Box: Rect{80, 30, 130, 42}},  // touches its left neighbour
		},
	}}
	path := saveTemp(t, "unusual.pdf", writeDoc(t, Info{}, []Page{p}))
	checkValid(t, path)
	got := strings.Join(nonEmptyLines(tool(t, "pdftotext", path, "-")), "\n")
	if want := "a\uFFFDb chồng lấn"; got != want {
		t.Errorf("pdftotext: %q, want %q", got, want)
	}
}

// TestGhostscriptRoundTrip converts the dossier with Ghostscript's
// pdfwrite, as a PDF/A conversion would, and checks that the Vietnamese
// text survives: Ghostscript rebuilds the ToUnicode map from its own
// reading of ours.
func TestGhostscriptRoundTrip(t *testing.T) {
	s := newSample(t)
	in := saveTemp(t, "dossier.pdf", writeDoc(t, Info{}, s.pages))
	out := filepath.Join(t.TempDir(), "gs.pdf")
	tool(t, "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-o", out, in)
	for i, p := range s.pages {
		n := strconv.Itoa(i + 1)
		got := nonEmptyLines(tool(t, "pdftotext", "-f", n, "-l", n, out, "-"))
		if want := expectedLines(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("page %s after Ghostscript: %q, want %q", n, got, want)
		}
	}
}

func TestAddPageRejects(t *testing.T) {
	good := func() Page {
		return Page{Width: 100, Height: 100, Matrix: [6]float64{100, 0, 0, 100, 0, 0},
			Image: Image{Width: 2, Height: 2, BitsPerComponent: 8, ColorSpace: "DeviceGray", Data: []byte{0, 1, 2, 3}}}
	}
	tests := []struct {
		name   string
		change func(*Page)
		want   string
	}{
		{"tiny page", func(p *Page) { p.Width = 1 }, "page size"},
		{"huge page", func(p *Page) { p.Height = 20000 }, "page size"},
		{"NaN page", func(p *Page) { p.Height = math.NaN() }, "page size"},
		{"singular matrix", func(p *Page) { p.Matrix = [6]float64{100, 0, 100, 0, 0, 0} }, "singular"},
		{"infinite matrix", func(p *Page) { p.Matrix[4] = math.Inf(1) }, "not finite"},
		{"no pixels", func(p *Page) { p.Image.Width = 0 }, "size"},
		{"color space", func(p *Page) { p.Image.ColorSpace = "Indexed" }, "color space"},
		{"bits", func(p *Page) { p.Image.BitsPerComponent = 16 }, "bits per component"},
		{"filter", func(p *Page) { p.Image.Filter = "LZWDecode" }, "filter"},
		{"jpeg bits", func(p *Page) { p.Image.Filter, p.Image.BitsPerComponent = "DCTDecode", 1 }, "DCTDecode"},
		{"not jpeg", func(p *Page) { p.Image.Filter = "DCTDecode" }, "SOI"},
		{"ccitt rgb", func(p *Page) { p.Image.Filter, p.Image.ColorSpace = "CCITTFaxDecode", "DeviceRGB" }, "CCITTFaxDecode"},
		{"short raw", func(p *Page) { p.Image.Data = p.Image.Data[:3] }, "raw data"},
		{"parms", func(p *Page) { p.Image.Filter, p.Image.DecodeParms = "FlateDecode", "/Predictor 15" }, "decode parms"},
		{"decode", func(p *Page) { p.Image.Decode = []float64{1, 0, 1, 0} }, "decode array"},
		{"word box", func(p *Page) { p.Lines = []Line{{Words: []Word{{Text: "x", Box: Rect{0, math.NaN(), 1, 1}}}}} }, "word 0"},
		{"far word box", func(p *Page) { p.Lines = []Line{{Words: []Word{{Text: "x", Box: Rect{0, 0, 1e300, 1}}}}} }, "beyond"},
		{"far matrix", func(p *Page) { p.Matrix[5] = -2e6 }, "beyond"},
		{"cmyk", func(p *Page) { p.Image.ColorSpace, p.Image.Data = "DeviceCMYK", make([]byte, 16) }, "DeviceCMYK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.change(&p)
			w, err := NewWriter(&bytes.Buffer{}, Info{})
			if err != nil {
				t.Fatal(err)
			}
			err = w.AddPage(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AddPage: %v, want an error about %q", err, tc.want)
			}
		})
	}
	w, _ := NewWriter(&bytes.Buffer{}, Info{})
	if err := w.Close(); err == nil {
		t.Error("Close of a document without pages succeeded")
	}
}

func TestPNGImage(t *testing.T) {
	opaque := gradientRGBA(5, 4)
	alpha := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	alpha.Set(1, 1, color.NRGBA{1, 2, 3, 4})
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	g16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	g16.Set(0, 0, color.Gray16{0x1234})
	good := bilevelPNG(9, 3)
	badCRC := bytes.Clone(good)
	badCRC[len(pngSignature)+8+13] ^= 1

	tests := []struct {
		name   string
		png    []byte
		err    error
		parms  string
		space  string
		bits   int
		width  int
		height int
	}{
		{"gray 8", pngBytes(t, markedGray(7, 3)), nil, "<< /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns 7 >>", "DeviceGray", 8, 7, 3},
		{"rgb 8", pngBytes(t, opaque), nil, "<< /Predictor 15 /Colors 3 /BitsPerComponent 8 /Columns 5 >>", "DeviceRGB", 8, 5, 4},
		{"gray 1", good, nil, "<< /Predictor 15 /Colors 1 /BitsPerComponent 1 /Columns 9 >>", "DeviceGray", 1, 9, 3},
		{"alpha", pngBytes(t, alpha), ErrUnsupportedPNG, "", "", 0, 0, 0},
		{"palette", pngBytes(t, pal), ErrUnsupportedPNG, "", "", 0, 0, 0},
		{"16-bit", pngBytes(t, g16), ErrUnsupportedPNG, "", "", 0, 0, 0},
		{"interlaced", rawPNG(4, 4, 8, 0, 1, make([]byte, 20)), ErrUnsupportedPNG, "", "", 0, 0, 0},
		{"bad crc", badCRC, ErrInvalidPNG, "", "", 0, 0, 0},
		{"truncated", good[:len(good)-12], ErrInvalidPNG, "", "", 0, 0, 0},
		{"not png", jpegBytes(t, opaque), ErrInvalidPNG, "", "", 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im, err := PNGImage(tc.png)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if im.DecodeParms != tc.parms || im.ColorSpace != tc.space || im.BitsPerComponent != tc.bits ||
				im.Width != tc.width || im.Height != tc.height || im.Filter != "FlateDecode" {
				t.Errorf("got %+v", Image{Width: im.Width, Height: im.Height, BitsPerComponent: im.BitsPerComponent,
					ColorSpace: im.ColorSpace, Filter: im.Filter, DecodeParms: im.DecodeParms})
			}
			if err := im.validate(); err != nil {
				t.Errorf("result does not validate: %v", err)
			}
		})
	}
}

func TestJPEGImage(t *testing.T) {
	rgb := jpegBytes(t, gradientRGBA(6, 5))
	gray := jpegBytes(t, markedGray(6, 5))
	for _, tc := range []struct {
		name  string
		data  []byte
		space string
	}{{"rgb", rgb, "DeviceRGB"}, {"gray", gray, "DeviceGray"}} {
		im, err := JPEGImage(tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if im.Width != 6 || im.Height != 5 || im.ColorSpace != tc.space || im.Filter != "DCTDecode" || im.Decode != nil {
			t.Errorf("%s: got %dx%d %s %s decode %v", tc.name, im.Width, im.Height, im.ColorSpace, im.Filter, im.Decode)
		}
	}
	// An APP14 Adobe segment right after SOI is found; Go's encoder
	// writes none.
	adobe := append([]byte{0xFF, 0xD8, 0xFF, 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2}, rgb[2:]...)
	if !hasAdobeMarker(adobe) || hasAdobeMarker(rgb) {
		t.Error("hasAdobeMarker wrong")
	}
	if _, err := JPEGImage([]byte("not a jpeg")); err == nil {
		t.Error("JPEGImage accepted garbage")
	}
}

// compactPages are pages as the pipeline embeds them compacted: a
// black-and-white scan as CCITT G4 (testdata/form-300.g4, a fixture scan
// thresholded and encoded by Leptonica, as scan.Page.Compact does) and a
// grey one as a grey JPEG.
func compactPages(t *testing.T) []Page {
	t.Helper()
	g4 := Image{Width: 2480, Height: 3508, BitsPerComponent: 1, ColorSpace: "DeviceGray", Filter: "CCITTFaxDecode",
		DecodeParms: "<< /K -1 /Columns 2480 /Rows 3508 >>", Data: readFile(t, filepath.Join("testdata", "form-300.g4"))}
	grey, err := JPEGImage(jpegBytes(t, markedGray(300, 400)))
	if err != nil {
		t.Fatal(err)
	}
	const a4w, a4h = 595.28, 841.89
	return []Page{
		{Width: a4w, Height: a4h, Image: g4, Matrix: [6]float64{a4w, 0, 0, a4h, 0, 0},
			Lines: []Line{layoutLine(lineTen, 72, 700, 14, 4.5)}},
		{Width: 216, Height: 288, Image: grey, Matrix: [6]float64{216, 0, 0, 288, 0, 0},
			Lines: []Line{layoutLine(lineChat, 20, 200, 12, 0.6)}},
	}
}

// TestCompactImages: G4 and grey JPEG page images go in as given and read
// back as what they are.
func TestCompactImages(t *testing.T) {
	pages := compactPages(t)
	b := writeDoc(t, sampleInfo, pages)
	path := saveTemp(t, "compact.pdf", b)
	checkValid(t, path)
	rows := strings.Split(strings.TrimSpace(tool(t, "pdfimages", "-list", path)), "\n")[2:]
	want := []string{"1 0 image 2480 3508 gray 1 1 ccitt", "2 1 image 300 400 gray 1 8 jpeg"}
	if len(rows) != len(want) {
		t.Fatalf("pdfimages -list: %d images, want %d:\n%s", len(rows), len(want), strings.Join(rows, "\n"))
	}
	for i, row := range rows {
		if got := strings.Join(strings.Fields(row)[:9], " "); got != want[i] {
			t.Errorf("pdfimages -list row %d: %q, want %q", i, got, want[i])
		}
		if !bytes.Contains(b, pages[i].Image.Data) {
			t.Errorf("page %d: image data not embedded verbatim", i+1)
		}
	}
	// The text layer is there over both.
	for i, p := range pages {
		got := tool(t, "pdftotext", "-f", strconv.Itoa(i+1), "-l", strconv.Itoa(i+1), "-enc", "UTF-8", path, "-")
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(expectedLines(p), " ")) {
			t.Errorf("page %d: text %q, want %q", i+1, got, expectedLines(p))
		}
	}
}
