package scan

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// zeroPNG is a w×h PNG of the given bit depth and colour type whose pixels
// are all zero, the way a decompression bomb is made: deflate stores a run
// of zeros a thousand times smaller, so a 16-bit RGBA page of 120 MP fits
// in under a megabyte. The zlib stream is one flushed segment of zero rows
// repeated (its back-references reach only zeros), so making it costs
// little more than its own size.
func zeroPNG(w, h int, depth, colorType byte, bytesPerPixel int) []byte {
	rowBytes := 1 + w*bytesPerPixel // filter byte, then the samples
	rows := 1
	for r := 128; r > 1; r-- {
		if h%r == 0 {
			rows = r
			break
		}
	}
	var seg bytes.Buffer
	fw, _ := flate.NewWriter(&seg, flate.BestCompression)
	fw.Write(make([]byte, rowBytes*rows))
	fw.Flush()
	z := []byte{0x78, 0xDA}
	for range h / rows {
		z = append(z, seg.Bytes()...)
	}
	z = append(z, 1, 0, 0, 0xFF, 0xFF) // final, empty stored block
	// Adler-32 of n zero bytes: a = 1, b = n mod 65521.
	z = binary.BigEndian.AppendUint32(z, uint32(uint64(rowBytes)*uint64(h)%65521)<<16|1)

	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = pngChunk(out, "IHDR", ihdr)
	out = pngChunk(out, "IDAT", z)
	return pngChunk(out, "IEND", nil)
}

func pngChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	c := append([]byte(typ), body...)
	return binary.BigEndian.AppendUint32(append(out, c...), crc32.ChecksumIEEE(c))
}

// tiffHeader is a one-frame TIFF of w×h with the given samples per pixel
// and bits per sample and no pixel data: all the probe reads.
func tiffHeader(w, h uint32, spp, bits uint16) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = le.AppendUint16(b, 4)
	for _, e := range []struct {
		tag, typ uint16
		v        uint32
	}{{256, 4, w}, {257, 4, h}, {258, 3, uint32(bits)}, {277, 3, uint32(spp)}} {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, e.v)
	}
	return le.AppendUint32(b, 0)
}

// flatePDF is a one-page PDF around a w×h Flate image of the colour
// space given.
func flatePDF(t *testing.T, w, h int, cs string, comps int) []byte {
	t.Helper()
	var doc bytes.Buffer
	pw, err := pdf.NewWriter(&doc, pdf.Info{Title: "flate"})
	if err != nil {
		t.Fatal(err)
	}
	img := pdf.Image{Width: w, Height: h, BitsPerComponent: 8, ColorSpace: cs, Filter: "FlateDecode",
		Data: deflate(make([]byte, w*h*comps))}
	if err := pw.AddPage(pdf.Page{Width: 100, Height: 100, Image: img, Matrix: [6]float64{100, 0, 0, 100, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return doc.Bytes()
}

// TestDecodedSizeLimit: the probe bounds the bytes a page decodes to, not
// only its pixels (issue 9, finding A). The attacker's page, a 16-bit RGBA
// PNG of 10000×11990 in under a megabyte, is within the 120-MP pixel
// limit but took 2.8 GB to decode; it is refused before any pixel is
// decoded, naming its size, depth and the limit, while an 8-bit RGB page
// of the same pixels (an A3 scan at 600 dpi is 70 MP) still passes.
func TestDecodedSizeLimit(t *testing.T) {
	bomb := zeroPNG(10000, 11990, 16, 6, 8)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes, want under 1 MiB", len(bomb))
	}
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(20, 20), nil) })
	for _, tc := range []struct {
		name string
		data []byte
		opt  Options
		says string // "" when the file must be accepted
	}{
		{"bomb.png", bomb, Options{}, "10000×11990 16-bit RGBA decodes to 959.2 MB, limit 480.0 MB"},
		{"rgb8.png", zeroPNG(10000, 11990, 8, 2, 3), Options{}, ""},
		{"gray16.png", zeroPNG(10000, 11990, 16, 0, 2), Options{}, ""},
		{"gray16-small-limit.png", zeroPNG(1000, 1000, 16, 0, 2), Options{MaxDecodedBytes: 1_500_000}, "1000×1000 16-bit gray decodes to 2.0 MB, limit 1.5 MB"},
		{"rgba16.tif", tiffHeader(10000, 11990, 4, 16), Options{}, "10000×11990 16-bit RGBA decodes to 959.2 MB, limit 480.0 MB"},
		{"rgb16.tif", tiffHeader(8000, 8000, 3, 16), Options{}, "8000×8000 16-bit RGB decodes to 512.0 MB"},
		{"rgb8.tif", tiffHeader(10000, 11990, 3, 8), Options{}, ""},
		{"gray8.tif", tiffHeader(10000, 11990, 1, 8), Options{}, ""},
		// pdfcpu renders a Flate image to 8-bit RGBA: four bytes a pixel
		// whatever its colour space; a JPEG decodes to its components.
		{"flate.pdf", flatePDF(t, 20, 20, "DeviceGray", 1), Options{MaxPixels: 1000, MaxDecodedBytes: 1500}, "20×20 8-bit DeviceGray decodes to 1600 bytes, limit 1500 bytes"},
		{"jpeg.pdf", jpegPDF(t, jpg, 20, 20), Options{MaxPixels: 1000, MaxDecodedBytes: 1500}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := OpenBytes(tc.name, tc.data, tc.opt)
			if tc.says == "" {
				if err != nil || f.Pages != 1 {
					t.Fatalf("got %v, want the page accepted", err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q should name the file and say %q", err, tc.says)
			}
		})
	}
}

func jpegPDF(t *testing.T, jpg []byte, w, h int) []byte {
	t.Helper()
	var doc bytes.Buffer
	pw, err := pdf.NewWriter(&doc, pdf.Info{Title: "jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	img := pdf.Image{Width: w, Height: h, BitsPerComponent: 8, ColorSpace: "DeviceGray", Filter: "DCTDecode", Data: jpg}
	if err := pw.AddPage(pdf.Page{Width: 100, Height: 100, Image: img, Matrix: [6]float64{100, 0, 0, 100, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return doc.Bytes()
}

// TestPageLimit: a file of more pages than MaxPages is refused at the
// probe, naming how many it holds and the limit (issue 9, finding B: one
// uploaded "page" of 5000 TIFF frames).
func TestPageLimit(t *testing.T) {
	frames := make([]image.Image, 7)
	for i := range frames {
		frames[i] = page(16, 12)
	}
	tif := multiTIFF(t, frames...)
	pdf3 := multiPagePDF(t, 3)
	for _, tc := range []struct {
		name string
		data []byte
		max  int
		says string
	}{
		{"frames.tif", tif, 5, "7 frames, limit 5 pages a file"},
		{"frames.tif", tif, 6, "7 frames, limit 6 pages a file"},
		{"pages.pdf", pdf3, 2, "3 pages, limit 2 pages a file"},
	} {
		_, err := OpenBytes(tc.name, tc.data, Options{MaxPages: tc.max})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s, limit %d: got %v, want ErrTooLarge saying %q", tc.name, tc.max, err, tc.says)
		}
	}
	for _, tc := range []struct {
		data []byte
		max  int
	}{{tif, 7}, {tif, 0}, {pdf3, 3}} {
		if _, err := OpenBytes("ok", tc.data, Options{MaxPages: tc.max}); err != nil {
			t.Errorf("limit %d: %v, want the file accepted", tc.max, err)
		}
	}
	many := make([]image.Image, DefaultMaxPages+1)
	for i := range many {
		many[i] = frames[0]
	}
	if _, err := OpenBytes("frames.tif", multiTIFF(t, many...), Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d frames under the default limit: got %v, want ErrTooLarge", len(many), err)
	}
}

func multiPagePDF(t *testing.T, n int) []byte {
	t.Helper()
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(20, 20), nil) })
	var doc bytes.Buffer
	pw, err := pdf.NewWriter(&doc, pdf.Info{Title: "pages"})
	if err != nil {
		t.Fatal(err)
	}
	img := pdf.Image{Width: 20, Height: 20, BitsPerComponent: 8, ColorSpace: "DeviceGray", Filter: "DCTDecode", Data: jpg}
	for range n {
		if err := pw.AddPage(pdf.Page{Width: 100, Height: 100, Image: img, Matrix: [6]float64{100, 0, 0, 100, 0, 0}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return doc.Bytes()
}

// deflateTIFF is a one-frame 8-bit gray TIFF of w×h whose one strip is
// the Deflate stream given; orientation 2 (mirrored) sends it to Go's
// decoder.
func deflateTIFF(w, h uint32, strip []byte) []byte {
	le := binary.LittleEndian
	entries := [][3]uint32{{256, 4, w}, {257, 4, h}, {258, 3, 8}, {259, 3, 8}, {262, 3, 1},
		{273, 4, 0}, {274, 3, 2}, {277, 3, 1}, {278, 4, h}, {279, 4, uint32(len(strip))}}
	entries[5][2] = uint32(8 + 2 + 12*len(entries) + 4)
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = le.AppendUint16(b, uint16(e[0]))
		b = le.AppendUint16(b, uint16(e[1]))
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, e[2])
	}
	return append(le.AppendUint32(b, 0), strip...)
}

// TestTIFFStripBomb: Go's TIFF decoder reads a whole strip into memory
// before it looks at it, up to eight bytes a pixel whatever the depth, so
// a strip that inflates past what its rows take is refused before it is
// read: otherwise an 8-bit frame within the decoded-size limit could take
// eight times that limit.
func TestTIFFStripBomb(t *testing.T) {
	const w, h = 100, 100
	for _, tc := range []struct {
		name string
		raw  int // bytes the strip inflates to
		want error
	}{
		{"exact.tif", w * h, nil},
		{"bomb.tif", 8 * w * h, ErrTooLarge},
	} {
		f, err := OpenBytes(tc.name, deflateTIFF(w, h, deflate(make([]byte, tc.raw))), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err = f.Page(1)
		if !errors.Is(err, tc.want) || tc.want != nil && !strings.Contains(err.Error(), "strip 1 inflates past the 10000 bytes") {
			t.Errorf("%s: got %v, want %v naming the strip", tc.name, err, tc.want)
		}
	}
}
