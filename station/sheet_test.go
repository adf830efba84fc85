package station

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// scanned is the sheet as a scanner gives it back: resampled to dpi,
// turned by deg degrees about its centre on a white bed, JPEG-encoded at
// quality (PNG when 0).
func scanned(t testing.TB, s Sheet, dpi, deg float64, quality int) []byte {
	t.Helper()
	sheet, err := RenderSheet(s)
	if err != nil {
		t.Fatal(err)
	}
	k := dpi / sheetDPI
	w, h := int(float64(a4Width)*k), int(float64(a4Height)*k)
	out := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.Gray{Y: 0xFF}), image.Point{}, draw.Src)
	// dst = T(centre) · R · S(k) · T(-centre of the sheet)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(a4Width)/2, float64(a4Height)/2
	m := f64.Aff3{
		k * cos, -k * sin, float64(w)/2 - k*(cos*cx-sin*cy),
		k * sin, k * cos, float64(h)/2 - k*(sin*cx+cos*cy),
	}
	draw.BiLinear.Transform(out, m, sheet, sheet.Bounds(), draw.Over, nil)
	var b bytes.Buffer
	if quality > 0 {
		err = jpeg.Encode(&b, out, &jpeg.Options{Quality: quality})
	} else {
		err = png.Encode(&b, out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestStationSheetRoundTrip(t *testing.T) {
	start := Sheet{Code: "HCM.Q1-251126-0042"}
	end := Sheet{Code: "HN.BD-251201-0007", Submit: true}
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		sheet   Sheet
		dpi     float64
		deg     float64
		quality int
	}{
		{"200dpi png straight", start, 200, 0, 0},
		{"200dpi jpeg60 skewed 3", start, 200, 3, 60},
		{"300dpi jpeg60 skewed -2.5", start, 300, -2.5, 60},
		{"150dpi jpeg50 skewed 1.5", end, 150, 1.5, 50},
		{"300dpi jpeg85 skewed 4 end", end, 300, 4, 85},
		{"200dpi upside down", start, 200, 180, 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := ".png"
			if tc.quality > 0 {
				ext = ".jpg"
			}
			path := filepath.Join(dir, tc.name+ext)
			if err := os.WriteFile(path, scanned(t, tc.sheet, tc.dpi, tc.deg, tc.quality), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := readSheet(path)
			if !ok || got != tc.sheet {
				t.Fatalf("readSheet = %+v, %v; want %+v", got, ok, tc.sheet)
			}
		})
	}
}

// A page is not a sheet, even one with a QR code of its own.
func TestStationSheetNotAPage(t *testing.T) {
	dir := t.TempDir()
	page := image.NewGray(image.Rect(0, 0, 1654, 2339))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.Gray{Y: 0xF0}), image.Point{}, draw.Src)
	for y := 200; y < 2100; y += 60 { // lines of "text"
		for x := 150; x < 1500; x += 7 {
			if (x/7+y/60)%5 != 0 {
				fillRect(page, image.Rect(x, y, x+5, y+25))
			}
		}
	}
	plain := filepath.Join(dir, "plain.jpg")
	writeJPEG(t, plain, page)
	// A form's own QR code, and one that says SOHOA: but no dossier code.
	for i, text := range []string{"https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=000.00.00.H29-251126-0001", "SOHOA:hello"} {
		bits, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		const x0, y0, m = 1000, 1500, 10
		for y := range bits.GetHeight() {
			for x := range bits.GetWidth() {
				c := uint8(0xF0)
				if bits.Get(x, y) {
					c = 0
				}
				fillGray(page, image.Rect(x0+x*m, y0+y*m, x0+(x+1)*m, y0+(y+1)*m), c)
			}
		}
		path := filepath.Join(dir, "qr"+string(rune('0'+i))+".jpg")
		writeJPEG(t, path, page)
		if s, ok := readSheet(path); ok {
			t.Fatalf("%q: taken for %v", text, s)
		}
		// The QR code is found: it is the payload that is refused.
		if got, ok := findQR(decodeFile(t, path)); !ok || got != text {
			t.Fatalf("%q: the page's QR code reads %q, %v", text, got, ok)
		}
	}
	if s, ok := readSheet(plain); ok {
		t.Fatalf("plain page taken for %v", s)
	}
	pdfPath := filepath.Join(dir, "sheet.pdf")
	f, err := os.Create(pdfPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSheetPDF(f, Sheet{Code: "HCM.Q1-251126-0042"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The sheet command's own PDF is not a scan: its image is not a JPEG.
	if _, ok := readSheet(pdfPath); ok {
		t.Fatal("the sheet command's PDF was read for a scanned sheet")
	}
	if s, ok := readSheet("../testdata/scans/scanner-2p.pdf"); ok {
		t.Fatalf("a scanner's two-page PDF was taken for %v", s)
	}
}

func TestStationSheetPDF(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSheetPDF(&b, Sheet{Code: "HCM.Q1-251126-0042", Submit: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%PDF-", "/MediaBox", "%%EOF"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("sheet PDF lacks %s", want)
		}
	}
	if err := WriteSheetPDF(&b, Sheet{Code: "not a code"}); !errors.Is(err, ErrBadCode) {
		t.Fatalf("sheet for a bad code: %v, want ErrBadCode", err)
	}
}

func writeJPEG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func fillGray(img *image.Gray, r image.Rectangle, c uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetGray(x, y, color.Gray{Y: c})
		}
	}
}

func BenchmarkStationReadSheet(b *testing.B) {
	dir := b.TempDir()
	for _, tc := range []struct {
		name  string
		sheet bool
	}{{"sheet 300dpi", true}, {"page 300dpi", false}} {
		path := filepath.Join(dir, tc.name+".jpg")
		data := scanned(b, Sheet{Code: "HCM.Q1-251126-0042"}, 300, 2, 75)
		if !tc.sheet {
			img, _, _ := image.Decode(bytes.NewReader(data))
			g := image.NewGray(img.Bounds())
			draw.Draw(g, g.Bounds(), image.NewUniform(color.Gray{Y: 0xF0}), image.Point{}, draw.Src)
			for y := 300; y < 3200; y += 90 {
				fillGray(g, image.Rect(200, y, 2200, y+35), 40)
			}
			var buf bytes.Buffer
			jpeg.Encode(&buf, g, &jpeg.Options{Quality: 75})
			data = buf.Bytes()
		}
		os.WriteFile(path, data, 0o644)
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				_, ok := readSheet(path)
				if ok != tc.sheet {
					b.Fatalf("sheet %v, want %v", ok, tc.sheet)
				}
			}
		})
	}
}

func TestStationSheetCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a.pdf")
	var stdout, stderr bytes.Buffer
	err := Command(t.Context(), "sohoa-station", []string{"sheet", "HCM.Q1-251126-0042", "--end", "--out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("sheet: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("SOHOA-SUBMIT:HCM.Q1-251126-0042")) {
		t.Fatalf("sheet PDF %s: %v, %d bytes; want an end sheet's PDF", out, err, len(b))
	}
	for _, args := range [][]string{{"sheet"}, {"sheet", "desk-1"}, {"sheet", "HCM.Q1-251126-0042", "extra"}} {
		var ue *UsageError
		if err := Command(t.Context(), "sohoa-station", args, &stdout, &stderr); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// scannerPDF is a PDF as a scanner writes it: each page one JPEG.
func scannerPDF(t *testing.T, path string, scans ...[]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pdf.NewWriter(f, pdf.Info{Producer: "a scanner"})
	if err != nil {
		t.Fatal(err)
	}
	for _, scan := range scans {
		img, err := pdf.JPEGImage(scan)
		if err != nil {
			t.Fatal(err)
		}
		err = w.AddPage(pdf.Page{Width: a4WidthPt, Height: a4HeightPt, Image: img, Matrix: [6]float64{a4WidthPt, 0, 0, a4HeightPt, 0, 0}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A scanner that writes PDFs: a one-page PDF of the sheet is a sheet; a
// PDF of the sheet and a page is not (it is a page file, sent whole).
func TestStationSheetScannerPDF(t *testing.T) {
	dir := t.TempDir()
	want := Sheet{Code: "HCM.Q1-251126-0042", Submit: true}
	sheet := scanned(t, want, 300, -2, 70)
	one := filepath.Join(dir, "one.pdf")
	scannerPDF(t, one, sheet)
	if got, ok := readSheet(one); !ok || got != want {
		t.Fatalf("one-page scanner PDF of a sheet: %+v, %v; want %+v", got, ok, want)
	}
	two := filepath.Join(dir, "two.pdf")
	scannerPDF(t, two, sheet, sheet)
	if got, ok := readSheet(two); ok {
		t.Fatalf("two-page scanner PDF taken for %v", got)
	}
}
