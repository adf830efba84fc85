package pdf

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"image/png"
)

// mrcPage is a page in layers: grey paper (a JPEG), and ink in the left
// half of the page (a Flate-coded 1-bit mask, 0 for ink) painted red (a
// one-pixel raw image), under a line of text.
func mrcPage(t *testing.T) Page {
	t.Helper()
	paper := image.NewGray(image.Rect(0, 0, 60, 80))
	for i := range paper.Pix {
		paper.Pix[i] = 200
	}
	bg, err := JPEGImage(jpegBytes(t, paper))
	if err != nil {
		t.Fatal(err)
	}
	const mw, mh = 240, 320
	rows := make([]byte, 0, mw/8*mh)
	for range mh {
		for x := 0; x < mw/8; x++ {
			b := byte(0xFF) // paper
			if x < mw/16 {
				b = 0 // ink
			}
			rows = append(rows, b)
		}
	}
	bg.Foreground = []Foreground{{
		Mask: Image{Width: mw, Height: mh, BitsPerComponent: 1, ColorSpace: "DeviceGray",
			Filter: "FlateDecode", Data: FlateStream(rows)},
		Colour: Image{Width: 1, Height: 1, BitsPerComponent: 8, ColorSpace: "DeviceRGB", Data: []byte{220, 20, 30}},
	}}
	return Page{Width: 216, Height: 288, Image: bg, Matrix: [6]float64{216, 0, 0, 288, 0, 0},
		Lines: []Line{layoutLine(lineChat, 20, 200, 12, 0.6)}}
}

// TestMixedRasterPage: a page in layers is valid (qpdf, pdfcpu strict,
// the PDF/A byte rules), holds the paper, the ink's colour and the mask as
// pdfimages sees them (the mask a stencil, the colour image masked by it,
// no soft mask), shows the ink in its colour where the mask has ink and
// the paper elsewhere, and keeps its text layer.
func TestMixedRasterPage(t *testing.T) {
	page := mrcPage(t)
	b := writeDoc(t, sampleInfo, []Page{page})
	path := saveTemp(t, "mrc.pdf", b)
	checkValid(t, path)
	checkPDFABytes(t, b)

	rows := strings.Split(strings.TrimSpace(tool(t, "pdfimages", "-list", path)), "\n")[2:]
	want := []string{"1 0 image 60 80 gray 1 8 jpeg", "1 1 image 1 1 rgb 3 8 image", "1 2 mask 240 320 - 1 1 image"}
	if len(rows) != len(want) {
		t.Fatalf("pdfimages -list: %d images, want %d:\n%s", len(rows), len(want), strings.Join(rows, "\n"))
	}
	for i, row := range rows {
		if got := strings.Join(strings.Fields(row)[:9], " "); got != want[i] {
			t.Errorf("pdfimages -list row %d: %q, want %q", i, got, want[i])
		}
	}

	// The objects: the mask a stencil without colour space, named by the
	// colour image's /Mask; nothing PDF/A forbids.
	var dump struct {
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal([]byte(tool(t, "qpdf", "--json=2", "--json-key=qpdf", path)), &dump); err != nil || len(dump.QPDF) != 2 {
		t.Fatalf("qpdf --json: %v", err)
	}
	var q qpdfObjects
	if err := json.Unmarshal(dump.QPDF[1], &q); err != nil {
		t.Fatal(err)
	}
	masks, masked := 0, 0
	for name, o := range q {
		if o.Stream == nil {
			continue
		}
		d := o.Stream.Dict
		checkForbidden(t, name, d)
		if d["/ImageMask"] == true {
			masks++
			if d["/ColorSpace"] != nil || d["/Mask"] != nil {
				t.Errorf("%s: stencil mask %v with a colour space or a mask", name, d)
			}
		}
		if m, ok := d["/Mask"].(string); ok {
			masked++
			if md := q.dict(m); md["/ImageMask"] != true {
				t.Errorf("%s: /Mask %s is not a stencil mask: %v", name, m, md)
			}
		}
	}
	if masks != 1 || masked != 1 {
		t.Errorf("%d stencil masks and %d masked images, want one of each", masks, masked)
	}

	// What it shows: red ink on the left, the grey paper on the right.
	out := filepath.Join(t.TempDir(), "page")
	tool(t, "pdftoppm", "-r", "36", "-png", "-singlefile", path, out)
	f, err := os.ReadFile(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{{r.Dx() / 4, r.Dy() / 2, color.RGBA{220, 20, 30, 255}}, {3 * r.Dx() / 4, r.Dy() / 2, color.RGBA{200, 200, 200, 255}}} {
		got := color.RGBAModel.Convert(img.At(c.x, c.y)).(color.RGBA)
		if diff(got.R, c.want.R) > 6 || diff(got.G, c.want.G) > 6 || diff(got.B, c.want.B) > 6 {
			t.Errorf("rendered page at (%d, %d): %v, want %v", c.x, c.y, got, c.want)
		}
	}

	got := tool(t, "pdftotext", "-enc", "UTF-8", path, "-")
	if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(expectedLines(page), " ")) {
		t.Errorf("text %q, want %q", got, expectedLines(page))
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestForegroundRejects: a foreground whose mask is not a 1-bit grey
// image, or that nests another foreground, is refused before anything is
// written.
func TestForegroundRejects(t *testing.T) {
	for name, spoil := range map[string]func(*Foreground){
		"8-bit mask":          func(f *Foreground) { f.Mask.BitsPerComponent = 8 },
		"mask with a decode":  func(f *Foreground) { f.Mask.Decode = []float64{1, 0} },
		"nested foreground":   func(f *Foreground) { f.Colour.Foreground = []Foreground{{}} },
		"colour without data": func(f *Foreground) { f.Colour.Data = nil },
	} {
		t.Run(name, func(t *testing.T) {
			page := mrcPage(t)
			spoil(&page.Image.Foreground[0])
			w, err := NewWriter(&bytes.Buffer{}, sampleInfo)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.AddPage(page); err == nil {
				t.Error("AddPage accepted it")
			}
		})
	}
}
