package scan

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pdfObj is one object of a hand-made PDF: a dictionary (or any object),
// and a stream when stream is not nil (dict is then the stream
// dictionary's entries, without << >> and /Length).
type pdfObj struct {
	dict   string
	stream []byte
}

// handPDF writes objs as objects 1..n, with a cross-reference table and a
// trailer naming object 1 as the catalog. Hostile PDFs are written by
// hand: pipeline/pdf writes only the well-formed files sohoa makes.
func handPDF(objs ...pdfObj) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		if o.stream != nil {
			fmt.Fprintf(&b, "<< %s /Length %d >>\nstream\n", o.dict, len(o.stream))
			b.Write(o.stream)
			b.WriteString("\nendstream")
		} else {
			b.WriteString(o.dict)
		}
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// imagePDFOf is a one-page PDF whose page draws one image: image holds
// the image dictionary's entries beyond /Type and /Subtype, data its
// stream. Objects from 6 on are extra, for image to refer to.
func imagePDFOf(image string, data []byte, extra ...pdfObj) []byte {
	return handPDF(append([]pdfObj{
		{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"},
		{dict: "/Type /XObject /Subtype /Image " + image, stream: data},
		{dict: "", stream: []byte("q 612 0 0 792 0 0 cm /Im0 Do Q")},
	}, extra...)...)
}

// zerosZlib is a zlib stream of n zero bytes made without deflating them
// all: one flushed deflate segment of zeros repeated (its back-references
// reach only zeros), then an empty final block and the Adler-32 of n
// zeros. 600 MB of zeros take about 600 KB.
func zerosZlib(n int64) []byte {
	const seg = 1 << 20
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	fw.Write(make([]byte, seg))
	fw.Flush()
	z := []byte{0x78, 0xDA}
	for range n / seg {
		z = append(z, one.Bytes()...)
	}
	if r := n % seg; r > 0 {
		var rest bytes.Buffer
		fw.Reset(&rest)
		fw.Write(make([]byte, r))
		fw.Flush()
		z = append(z, rest.Bytes()...)
	}
	z = append(z, 1, 0, 0, 0xFF, 0xFF)
	// Adler-32 of n zero bytes: a = 1, b = n mod 65521.
	return binary.BigEndian.AppendUint32(z, uint32(n%65521)<<16|1)
}

// encoded is encode for fuzz targets too.
func encoded(t testing.TB, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// allocated is the heap bytes f allocates, all goroutines together: an
// upper bound of the memory it held at its peak, whatever it freed on the
// way. Leptonica's C allocations are not counted; no bomb here reaches it.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hugeJPEG is a JPEG whose frame header claims w×h: a small real JPEG
// with its SOF0 size patched, the rest left as it was.
func hugeJPEG(t testing.TB, w, h uint16, cmyk bool) []byte {
	t.Helper()
	var jpg []byte
	if cmyk {
		jpg = cmykJPEG(t)
	} else {
		jpg = encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(16, 16), nil) })
	}
	jpg = bytes.Clone(jpg)
	i := bytes.Index(jpg, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(jpg[i+5:], h)
	binary.BigEndian.PutUint16(jpg[i+7:], w)
	return jpg
}

// cmykJPEG is a 16×16 four-component JPEG (Go's encoder writes none) of
// flat mid-gray blocks: a gray JPEG's tables, a frame and scan of four
// components that use them, and the scan data of sixteen blocks each
// coded as DC difference 0 ("00") and end of block ("1010") in the
// standard tables Go's encoder writes.
func cmykJPEG(t testing.TB) []byte {
	t.Helper()
	gray := encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(8, 8), &jpeg.Options{Quality: 50}) })
	sof := bytes.Index(gray, []byte{0xFF, 0xC0})
	sos := bytes.Index(gray, []byte{0xFF, 0xDA})
	if sof < 0 || sos < 0 {
		t.Fatal("no SOF0 or SOS")
	}
	// SOI, then the Adobe segment that says the four are CMYK (transform
	// 0), then the gray file's tables.
	out := append(bytes.Clone(gray[:2]), 0xFF, 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0)
	out = append(out, gray[2:sof]...)
	out = append(out, 0xFF, 0xC0, 0, 8+3*4, 8, 0, 16, 0, 16, 4)
	for c := byte(1); c <= 4; c++ {
		out = append(out, c, 0x11, 0)
	}
	out = append(out, gray[sof+2+int(binary.BigEndian.Uint16(gray[sof+2:])):sos]...)
	out = append(out, 0xFF, 0xDA, 0, 6+2*4, 4)
	for c := byte(1); c <= 4; c++ {
		out = append(out, c, 0)
	}
	out = append(out, 0, 63, 0)
	// "001010" sixteen times is 0x28 0xA2 0x8A four times.
	out = append(out, bytes.Repeat([]byte{0x28, 0xA2, 0x8A}, 4)...)
	return append(out, 0xFF, 0xD9)
}

// TestHeaderBombs: a JPEG, PNG or TIFF of a few bytes whose header claims
// a page of billions of pixels is refused at the probe, from the header
// alone: ErrTooLarge naming the size, in a few kilobytes of memory.
func TestHeaderBombs(t *testing.T) {
	ihdr := binary.BigEndian.AppendUint32(nil, 100_000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100_000)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	png := pngChunk(pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr), "IEND", nil)
	for _, tc := range []struct {
		name string
		data []byte
		says string
	}{
		{"huge.jpg", hugeJPEG(t, 65000, 65000, false), "65000×65000 is 4225.0 MP"},
		{"huge.png", png, "100000×100000 is 10000.0 MP"},
		{"huge.tif", tiffHeader(1<<31, 1<<31, 1, 8), "2147483648×2147483648"},
		{"huge-frame-2.tif", multiTIFFWith(t, tiffHeader(1<<20, 1<<20, 3, 8)), "page 2: over the size limit: 1048576×1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			start := time.Now()
			n := allocated(func() { _, err = OpenBytes(tc.name, tc.data, Options{}) })
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want ErrTooLarge saying %q", err, tc.says)
			}
			if n > 1<<20 || time.Since(start) > time.Second {
				t.Errorf("refusing took %d bytes and %v, want under 1 MiB and a second", n, time.Since(start))
			}
		})
	}
}

// multiTIFFWith is a two-frame TIFF: a real 16×12 first frame, then the
// one-frame TIFF second's IFD.
func multiTIFFWith(t *testing.T, second []byte) []byte {
	t.Helper()
	first := multiTIFF(t, page(16, 12))
	// multiTIFF's last IFD ends with a zero next-IFD offset: point it at
	// second's IFD, appended after an even pad.
	le := binary.LittleEndian
	ifd := le.Uint32(first[4:])
	next := int(ifd) + 2 + 12*int(le.Uint16(first[ifd:]))
	out := bytes.Clone(first)
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	base := uint32(len(out))
	le.PutUint32(out[next:], base+le.Uint32(second[4:]))
	// second's IFD holds only inline values, so it moves as it is.
	return append(out, second...)
}

// manyPagesPDF is a PDF of n pages that all draw one small JPEG image.
func manyPagesPDF(t *testing.T, n int) []byte {
	t.Helper()
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(16, 16), nil) })
	objs := []pdfObj{
		{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
		{}, // the page tree, once the kids are known
		{dict: "/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", stream: jpg},
		{dict: "", stream: []byte("q 612 0 0 792 0 0 cm /Im0 Do Q")},
	}
	var kids strings.Builder
	for range n {
		fmt.Fprintf(&kids, "%d 0 R ", len(objs)+1)
		objs = append(objs, pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 3 0 R >> >> /Contents 4 0 R >>"})
	}
	objs[1] = pdfObj{dict: fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), n)}
	return handPDF(objs...)
}

// pdfBombs are PDFs built to exhaust memory or time, each with what it
// must be refused as.
func pdfBombs(t *testing.T) []struct {
	name string
	data []byte
	want error
	says string
} {
	gray := "/Width 100 /Height 100 /ColorSpace /DeviceGray /BitsPerComponent 8"
	white := bytes.Repeat([]byte{0xFF}, 64<<10) // G4: every bit a white row
	nested := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	return []struct {
		name string
		data []byte
		want error
		says string
	}{
		// 100×100 gray takes 10000 bytes; the stream inflates to 600 MB.
		{"flate-bomb.pdf", imagePDFOf(gray+" /Filter /FlateDecode", zerosZlib(600<<20)), ErrTooLarge, "decodes past the 10000 bytes"},
		// A 100×100 image whose soft mask inflates to 600 MB.
		{"smask-bomb.pdf", imagePDFOf(gray+" /Filter /FlateDecode /SMask 6 0 R", zerosZlib(10000),
			pdfObj{dict: "/Type /XObject /Subtype /Image " + gray + " /Filter /FlateDecode", stream: zerosZlib(600 << 20)}), ErrTooLarge, "soft mask of image object 4 decodes past the 10000 bytes"},
		// A G4 stream whose parameters claim a million columns and rows
		// around a 100×100 image: each input bit is a 125 KB row.
		{"ccitt-bomb.pdf", imagePDFOf("/Width 100 /Height 100 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 1000000 /Rows 1000000 >>", white), ErrTooLarge, "decodes past the 1300 bytes"},
		{"ccitt-huge.pdf", imagePDFOf("/Width 1000000 /Height 1000000 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 1000000 /Rows 1000000 >>", white), ErrTooLarge, "1000000×1000000"},
		{"jbig2-huge.pdf", imagePDFOf("/Width 1000000 /Height 1000000 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode", white[:100]), ErrTooLarge, "1000000×1000000"},
		{"jpx-huge.pdf", imagePDFOf("/Width 1000000 /Height 1000000 /Filter /JPXDecode", white[:100]), ErrTooLarge, "1000000×1000000"},
		// A CMYK JPEG, which pdfcpu decodes itself, whose frame claims
		// 11000×11000 inside a 10×10 image: pdfcpu allocated its 484 MB
		// before the JPEG's own size was looked at.
		{"cmyk-bomb.pdf", imagePDFOf("/Width 10 /Height 10 /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /DCTDecode", hugeJPEG(t, 11000, 11000, true)), ErrTooLarge, "11000×11000"},
		// The page's content stream inflates to 600 MB: pdfcpu decodes it
		// to find the page's images.
		{"content-bomb.pdf", handPDF(
			pdfObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			pdfObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
			pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"},
			pdfObj{dict: "/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", stream: zerosZlib(256)},
			pdfObj{dict: "/Filter /FlateDecode", stream: zerosZlib(600 << 20)},
		), ErrTooLarge, "stream object 5 decodes past 16.8 MB"},
		{"pages.pdf", manyPagesPDF(t, 20_000), ErrTooLarge, "PDF of 20004 objects, limit 11000 for 500 pages"},
		{"count-lies.pdf", handPDF(
			pdfObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			pdfObj{dict: "<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>"},
			pdfObj{dict: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"},
			pdfObj{dict: "/Type /XObject /Subtype /Image " + gray + " /Filter /FlateDecode", stream: zerosZlib(10000)},
			pdfObj{dict: "", stream: []byte("q 612 0 0 792 0 0 cm /Im0 Do Q")},
		), ErrCorrupt, ""},
		{"kids-loop.pdf", handPDF(
			pdfObj{dict: "<< /Type /Catalog /Pages 2 0 R >>"},
			pdfObj{dict: "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"},
			pdfObj{dict: "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"},
		), ErrCorrupt, ""},
		// Objects 6 and 7 refer to each other (with 6 a dictionary, the
		// same file decodes).
		{"ref-loop.pdf", imagePDFOf(gray+" /Filter /FlateDecode /DecodeParms 6 0 R", zerosZlib(10000),
			pdfObj{dict: "7 0 R"}, pdfObj{dict: "6 0 R"}), ErrCorrupt, ""},
		// pdfcpu stops at 100 levels and drops the object: the page has
		// no image left.
		{"nested.pdf", imagePDFOf(gray+" /Filter /FlateDecode /Nested "+nested, zerosZlib(10000)), ErrUnsupported, "no image"},
	}
}

// TestPDFBombs: every PDF bomb is refused with a clear error within 96 MiB
// of heap and a few seconds. Before decodeImageStream, checkStreams and the
// object count, the Flate, soft mask, CCITT and content bombs each took
// 2 GB and 1 to 10 s, the CMYK one 484 MB, the 20000 pages 277 MB and 2 s.
func TestPDFBombs(t *testing.T) {
	for _, tc := range pdfBombs(t) {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			start := time.Now()
			n := allocated(func() {
				var f *File
				if f, err = OpenBytes(tc.name, tc.data, Options{}); err == nil {
					_, err = f.Page(1)
				}
			})
			took := time.Since(start)
			t.Logf("%d-byte file: %v; %.1f MB allocated in %v", len(tc.data), err, float64(n)/1e6, took)
			switch {
			case !errors.Is(err, tc.want):
				t.Errorf("got %v, want %v", err, tc.want)
			case !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.says):
				t.Errorf("error %q should name the file and say %q", err, tc.says)
			}
			if limit := uint64(96 << 20); n > limit {
				t.Errorf("allocated %.1f MB, want at most %.1f MB", float64(n)/1e6, float64(limit)/1e6)
			}
			if took > 5*time.Second {
				t.Errorf("took %v, want under 5 s", took)
			}
		})
	}
}

// manyScansJPEG is a progressive 8-bit gray w×h JPEG of a DC scan and n
// AC scans, each scan of every block as short as JPEG allows: the DC
// difference 0 and end-of-band runs of 16384 blocks, in one-bit codes.
func manyScansJPEG(w, h, n int) []byte {
	be := binary.BigEndian
	b := []byte{0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0}
	b = append(b, bytes.Repeat([]byte{1}, 64)...)
	b = append(b, 0xFF, 0xC2, 0, 11, 8)
	b = be.AppendUint16(be.AppendUint16(b, uint16(h)), uint16(w))
	b = append(b, 1, 1, 0x11, 0)
	// One code of length 1 each: DC category 0, AC EOB run of 2^14.
	for _, t := range [][2]byte{{0x00, 0x00}, {0x10, 0xE0}} {
		b = append(b, 0xFF, 0xC4, 0, 20, t[0], 1)
		b = append(b, make([]byte, 15)...)
		b = append(b, t[1])
	}
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	b = append(b, 0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 0, 0)
	b = append(b, make([]byte, (blocks+7)/8)...)
	runs := (blocks + 16383) / 16384
	for range n {
		b = append(b, 0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 63, 0)
		b = append(b, make([]byte, (runs*15+7)/8)...)
	}
	return append(b, 0xFF, 0xD9)
}

// TestJPEGScanBomb: a progressive JPEG of thousands of scans, each a few
// bytes that make the decoder pass over every block, is refused at the
// probe from its markers (an 8000×8000 one of 200 scans took 2 s to
// decode; one of 10000, 1.3 MB, would take minutes), alone or inside a
// PDF, while one of ten scans, as encoders write them, decodes.
func TestJPEGScanBomb(t *testing.T) {
	bomb := manyScansJPEG(8000, 8000, 10000)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"scans.jpg", bomb},
		{"scans.pdf", imagePDFOf("/Width 8000 /Height 8000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", bomb)},
	} {
		start := time.Now()
		f, err := OpenBytes(tc.name, tc.data, Options{})
		if err == nil {
			_, err = f.Page(1)
		}
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "JPEG of more than 100 scans") {
			t.Errorf("%s: got %v, want ErrTooLarge naming the scans", tc.name, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: refusing took %v", tc.name, took)
		}
	}
	f, err := OpenBytes("ten.jpg", manyScansJPEG(64, 64, 9), Options{})
	if err == nil {
		_, err = f.Page(1)
	}
	if err != nil {
		t.Errorf("ten scans: %v", err)
	}
}
