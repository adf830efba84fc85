package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"golang.org/x/image/tiff"
)

// fuzzOptions are the limits FuzzOpen reads under. The service's entry
// points are the ones fuzzed (api's confirm probes with OpenBytes and
// MaxPages, then decodes page 1; a worker opens with MaxPixels and decodes
// every page), with the limits scaled down (1 MP, 4 MB, 4 pages) so that
// an input within them decodes in milliseconds; the limits are enforced
// the same way at any scale, and TestHeaderBombs and TestPDFBombs hold the
// default ones.
var fuzzOptions = Options{MaxPixels: 1 << 20, MaxPages: 4}

// fuzzBudget is the most heap Open, or one Page, may allocate for an input
// of n bytes under fuzzOptions: a page's pixels a few times over (decoded,
// luminance, re-encoded) and the parsers' garbage, which grows with the
// file.
func fuzzBudget(n int) uint64 { return 48<<20 + 64*uint64(n) }

// FuzzOpen feeds any bytes to the probe and the page decoders. What is
// refused wraps ErrUnsupported, ErrTooLarge or ErrCorrupt; what is accepted
// has 1 to MaxPages pages, and each page that decodes is a luminance image
// within the pixel limit with an image to embed and a credible resolution;
// nothing allocates more than fuzzBudget. With SOHOA_FUZZ_STRICT set, a
// panic the decoders' recovery turned into ErrCorrupt fails too: that is
// how panics in sohoa's own code, hidden from the service, are found.
func FuzzOpen(f *testing.F) {
	for _, s := range scanSeeds(f) {
		f.Add(s.data)
	}
	strict := os.Getenv("SOHOA_FUZZ_STRICT") != ""
	f.Fuzz(func(t *testing.T, data []byte) {
		// An input that takes seconds is a finding too (a loop that does
		// not end, work out of proportion to the input); go's fuzzer has
		// no deadline of its own and would sit on it until -fuzztime.
		done := make(chan error, 1)
		go func() { done <- fuzzOpen(data, strict) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(fuzzDeadline):
			t.Fatalf("a %d-byte input took over %v", len(data), fuzzDeadline)
		}
	})
}

// fuzzDeadline is how long FuzzOpen gives one input: within fuzzOptions'
// limits any file decodes in milliseconds.
const fuzzDeadline = 5 * time.Second

// fuzzOpen opens data and decodes its pages as FuzzOpen says, returning
// what was wrong.
func fuzzOpen(data []byte, strict bool) error {
	var file *File
	var err error
	if n := allocatedNoGC(func() { file, err = OpenBytes("fuzz", data, fuzzOptions) }); n > fuzzBudget(len(data)) {
		return fmt.Errorf("Open allocated %d bytes for a %d-byte file (%v)", n, len(data), err)
	}
	if err != nil {
		return checkRefusal(err, strict)
	}
	if file.Pages < 1 || file.Pages > fuzzOptions.maxPages() {
		return fmt.Errorf("Open accepted %d pages, limit %d", file.Pages, fuzzOptions.maxPages())
	}
	for n := 1; n <= file.Pages; n++ {
		var p *Page
		if a := allocatedNoGC(func() { p, err = file.Page(n) }); a > fuzzBudget(len(data)) {
			return fmt.Errorf("page %d allocated %d bytes for a %d-byte file (%v)", n, a, len(data), err)
		}
		if err != nil {
			if err := checkRefusal(err, strict); err != nil {
				return err
			}
			continue
		}
		w, h := p.Gray.Rect.Dx(), p.Gray.Rect.Dy()
		switch {
		case p.Gray.Rect.Min != image.Point{} || w <= 0 || h <= 0 || len(p.Gray.Pix) < w*h:
			return fmt.Errorf("page %d: luminance %v with %d bytes", n, p.Gray.Rect, len(p.Gray.Pix))
		case int64(w)*int64(h) > fuzzOptions.maxPixels():
			return fmt.Errorf("page %d: %d×%d decoded, over the %d-pixel limit", n, w, h, fuzzOptions.maxPixels())
		case p.Embed.Width <= 0 || p.Embed.Height <= 0 || len(p.Embed.Data) == 0:
			return fmt.Errorf("page %d: nothing to embed (%d×%d, %d bytes)", n, p.Embed.Width, p.Embed.Height, len(p.Embed.Data))
		case p.DPI < 50 || p.DPI > 4800 || p.Orientation < 1 || p.Orientation > 8:
			return fmt.Errorf("page %d: %v dpi, orientation %d", n, p.DPI, p.Orientation)
		}
	}
	return nil
}

// FuzzProbe holds the probe alone to the limits the service gives it at a
// station's confirm (api: OpenBytes with MaxPages, every other limit its
// default: 120 MP, 480 MB, 500 pages). The probe decodes no pixel, so
// whatever a file's headers claim it allocates no more than the parsers'
// garbage; and it answers as FuzzOpen's refusals do.
func FuzzProbe(f *testing.F) {
	for _, s := range scanSeeds(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var file *File
		var err error
		n := allocatedNoGC(func() { file, err = OpenBytes("fuzz", data, Options{MaxPages: DefaultMaxPages}) })
		// pdfcpu's reading, and checkStreams' 16 MB a stream, are the
		// most a probe may take.
		if budget := 48<<20 + 64*uint64(len(data)); n > budget {
			t.Fatalf("the probe allocated %d bytes for a %d-byte file (%v)", n, len(data), err)
		}
		if err != nil {
			if err := checkRefusal(err, false); err != nil {
				t.Fatal(err)
			}
			return
		}
		if file.Pages < 1 || file.Pages > DefaultMaxPages {
			t.Fatalf("the probe accepted %d pages", file.Pages)
		}
	})
}

// checkRefusal says what is wrong with err unless it is one of the
// refusals callers act on.
func checkRefusal(err error, strict bool) error {
	if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("refused with %v: wraps none of ErrUnsupported, ErrTooLarge, ErrCorrupt", err)
	}
	if strict {
		for _, s := range []string{"probe failed:", "decoder failed:", "PDF parser failed:"} {
			if strings.Contains(err.Error(), s) {
				return fmt.Errorf("a panic was recovered: %v", err)
			}
		}
	}
	return nil
}

// allocatedNoGC is allocated without the collection first: cheap enough
// to run on every input.
func allocatedNoGC(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

type scanSeed struct {
	name string
	data []byte
}

// scanSeeds are small files of every kind a station sends: JPEG (gray,
// colour with Exif, CMYK), PNG (gray, 16-bit RGBA, palette), TIFF (gray,
// bilevel G4, several frames, a turned frame, a looping chain) and
// scanner PDFs whose images are DCT, Flate, CCITT G4, JBIG2 and JPX, one
// of several pages and one as sohoa writes them. Small, so that the
// fuzzer's mutations reach their structure.
func scanSeeds(t testing.TB) []scanSeed {
	t.Helper()
	gray := page(24, 16)
	rgb := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i*7) | uint8(min(i%4/3, 1)*255) // opaque
	}
	rgba16 := image.NewNRGBA64(image.Rect(0, 0, 8, 8))
	for i := range rgba16.Pix {
		rgba16.Pix[i] = uint8(i)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.White, color.Black, color.RGBA{200, 0, 0, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	grayJPG := encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) })
	rgbJPG := encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, rgb, nil) })
	g4 := []byte{0xFF, 0xFF, 0x00, 0x10, 0x01} // eight white rows, then EOFB
	seeds := []scanSeed{
		{"gray.jpg", grayJPG},
		{"exif.jpg", withExif(rgbJPG, 6, 300)},
		{"cmyk.jpg", cmykJPEG(t)},
		{"gray.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, gray) })},
		{"rgba16.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, rgba16) })},
		{"palette.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, pal) })},
		{"deflate.tif", encoded(t, func(b *bytes.Buffer) error {
			return tiff.Encode(b, gray, &tiff.Options{Compression: tiff.Deflate})
		})},
		{"frames.tif", tiffFrames(
			tiffFrame{w: 24, h: 16, bits: 8, compression: 1, orientation: 1, data: gray.Pix},
			tiffFrame{w: 24, h: 16, bits: 8, compression: 1, orientation: 6, data: gray.Pix},
			tiffFrame{w: 16, h: 8, bits: 1, compression: 4, orientation: 1, data: g4},
		)},
		{"loop.tif", loopTIFF()},
		{"dct.pdf", imagePDFOf("/Width 24 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", grayJPG)},
		{"dct-cmyk.pdf", imagePDFOf("/Width 16 /Height 16 /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /DCTDecode", cmykJPEG(t))},
		{"flate.pdf", imagePDFOf("/Width 24 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", deflate(gray.Pix))},
		{"flate-rgb.pdf", imagePDFOf("/Width 16 /Height 16 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 3 /Columns 16 >>", pngIDAT(t, rgb))},
		{"g4.pdf", imagePDFOf("/Width 16 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 16 /Rows 8 >>", g4)},
		{"jbig2.pdf", imagePDFOf("/Width 16 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode /DecodeParms << /JBIG2Globals 6 0 R >>",
			[]byte("\x00\x00\x00\x01\x00\x00\x00\x13"), pdfObj{dict: "", stream: []byte("\x00\x00\x00\x00")})},
		{"jpx.pdf", imagePDFOf("/Width 16 /Height 8 /Filter /JPXDecode", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"))},
		{"pages.pdf", handPDF(
			pdfObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			pdfObj{dict: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>"},
			pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 7 0 R >>"},
			pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 792 612] /Resources << /XObject << /Im0 5 0 R /Mk 6 0 R >> >> /Contents 8 0 R >>"},
			pdfObj{dict: "/Type /XObject /Subtype /Image /Width 24 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", stream: grayJPG},
			pdfObj{dict: "/Type /XObject /Subtype /Image /Width 16 /Height 8 /ImageMask true /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 16 /Rows 8 >>", stream: g4},
			pdfObj{dict: "/Filter /FlateDecode", stream: deflate([]byte("q 612 0 0 792 0 0 cm /Im0 Do Q"))},
			pdfObj{dict: "", stream: []byte("q 792 0 0 612 0 0 cm /Im0 Do Q q 0 0 1 rg 16 0 0 8 0 0 cm /Mk Do Q")},
		)},
		{"sohoa.pdf", sohoaPDF(t, grayJPG)},
	}
	return seeds
}

// tiffFrame is one page of a hand-made TIFF: one strip of data.
type tiffFrame struct {
	w, h, bits, compression, orientation int
	data                                 []byte
}

// tiffFrames writes frames as a TIFF, one IFD per page.
func tiffFrames(frames ...tiffFrame) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x00\x00\x00\x00")
	next := 4 // where the offset of the next IFD goes
	for _, fr := range frames {
		strip := len(b)
		b = append(b, fr.data...)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		le.PutUint32(b[next:], uint32(len(b)))
		entries := [][3]int{{256, 4, fr.w}, {257, 4, fr.h}, {258, 3, fr.bits}, {259, 3, fr.compression},
			{262, 3, 1}, {273, 4, strip}, {274, 3, fr.orientation}, {277, 3, 1}, {278, 4, fr.h}, {279, 4, len(fr.data)}}
		b = le.AppendUint16(b, uint16(len(entries)))
		for _, e := range entries {
			b = le.AppendUint16(b, uint16(e[0]))
			b = le.AppendUint16(b, uint16(e[1]))
			b = le.AppendUint32(b, 1)
			if e[1] == 3 {
				b = le.AppendUint16(le.AppendUint16(b, uint16(e[2])), 0)
			} else {
				b = le.AppendUint32(b, uint32(e[2]))
			}
		}
		next = len(b)
		b = le.AppendUint32(b, 0)
	}
	return b
}

// pngIDAT is the zlib image data of img encoded as PNG: what a PDF takes
// as FlateDecode with PNG predictors.
func pngIDAT(t testing.TB, img image.Image) []byte {
	t.Helper()
	im, err := pdf.PNGImage(encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, img) }))
	if err != nil {
		t.Fatal(err)
	}
	return im.Data
}

// sohoaPDF is a one-page PDF as pipeline/pdf writes it (ICC profile, font,
// XMP): what a station sends when it re-submits a dossier's page.
func sohoaPDF(t testing.TB, jpg []byte) []byte {
	t.Helper()
	var doc bytes.Buffer
	pw, err := pdf.NewWriter(&doc, pdf.Info{Title: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	img := pdf.Image{Width: 24, Height: 16, BitsPerComponent: 8, ColorSpace: "DeviceGray", Filter: "DCTDecode", Data: jpg}
	if err := pw.AddPage(pdf.Page{Width: 100, Height: 66, Image: img, Matrix: [6]float64{100, 0, 0, 66, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return doc.Bytes()
}

// TestFuzzCorpus keeps testdata/fuzz/FuzzOpen and FuzzProbe in step with
// scanSeeds: every seed is there as a file seed-* (so that `go test` runs
// them even where the seeds' generators change), and
// SOHOA_WRITE_FUZZ_CORPUS=1 rewrites them. Beside them, and kept: inputs
// the fuzzer found new code with (found-*), and those that failed, under
// the names go gave them (regression tests, see found_test.go).
func TestFuzzCorpus(t *testing.T) {
	for _, target := range []string{"FuzzOpen", "FuzzProbe"} {
		fuzzCorpus(t, filepath.Join("testdata", "fuzz", target))
	}
}

func fuzzCorpus(t *testing.T, dir string) {
	write := os.Getenv("SOHOA_WRITE_FUZZ_CORPUS") != ""
	for _, s := range scanSeeds(t) {
		path := filepath.Join(dir, "seed-"+strings.TrimSuffix(s.name, filepath.Ext(s.name))+"-"+strings.TrimPrefix(filepath.Ext(s.name), "."))
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s.data)))
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s not in the corpus (SOHOA_WRITE_FUZZ_CORPUS=1 go test -run TestFuzzCorpus writes it): %v", s.name, err)
		}
	}
}
