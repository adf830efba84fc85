package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"golang.org/x/image/tiff"
)

// page draws a dark bar on light paper: enough structure to tell where
// pixels went and how gray they came out.
func page(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 230
	}
	for y := h / 4; y < h/4+h/10; y++ {
		for x := w / 10; x < w/2; x++ {
			g.Pix[y*w+x] = 20
		}
	}
	return g
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func encode(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif puts an Exif APP1 segment (orientation, resolution in dpi)
// right after a JPEG's SOI marker, as cameras and scanner drivers do.
func withExif(jpg []byte, orientation uint16, dpi uint32) []byte {
	le := binary.LittleEndian
	t := []byte("II*\x00\x08\x00\x00\x00")
	entries := []struct {
		tag, typ uint16
		val      uint32
	}{{274, 3, uint32(orientation)}, {282, 5, 0}, {296, 3, 2}}
	ifd := make([]byte, 2+12*len(entries)+4)
	le.PutUint16(ifd, uint16(len(entries)))
	ratOff := uint32(8 + len(ifd))
	for i, e := range entries {
		b := ifd[2+12*i:]
		le.PutUint16(b, e.tag)
		le.PutUint16(b[2:], e.typ)
		le.PutUint32(b[4:], 1)
		if e.typ == 5 {
			le.PutUint32(b[8:], ratOff)
		} else {
			le.PutUint16(b[8:], uint16(e.val))
		}
	}
	rat := make([]byte, 8)
	le.PutUint32(rat, dpi)
	le.PutUint32(rat[4:], 1)
	payload := append(append(append([]byte("Exif\x00\x00"), t...), ifd...), rat...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func openPage(t *testing.T, path string, n int) *Page {
	t.Helper()
	f, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p, err := f.Page(n)
	if err != nil {
		t.Fatalf("Page %d: %v", n, err)
	}
	return p
}

func TestJPEGPassesThroughWithExif(t *testing.T) {
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(300, 200), nil) })
	data := withExif(jpg, 6, 200)
	p := openPage(t, write(t, "exif.jpg", data), 1)
	if p.Orientation != 6 || p.DPI != 200 || p.DPIAssumed {
		t.Errorf("orientation %d dpi %v (assumed %v), want 6, 200 from Exif", p.Orientation, p.DPI, p.DPIAssumed)
	}
	if p.Embed.Filter != "DCTDecode" || p.Embed.ColorSpace != "DeviceGray" || !bytes.Equal(p.Embed.Data, data) {
		t.Errorf("gray JPEG not passed through as DCT: filter %q cs %q same bytes %v", p.Embed.Filter, p.Embed.ColorSpace, bytes.Equal(p.Embed.Data, data))
	}
	if p.Gray.Rect.Dx() != 300 || p.Gray.Rect.Dy() != 200 {
		t.Errorf("gray is %v, want stored 300×200", p.Gray.Rect)
	}
}

func TestJPEGWithoutResolutionAssumes300(t *testing.T) {
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(100, 80), nil) })
	p := openPage(t, write(t, "nodpi.jpg", jpg), 1)
	if p.DPI != AssumedDPI || !p.DPIAssumed {
		t.Errorf("dpi %v assumed %v, want %d assumed", p.DPI, p.DPIAssumed, AssumedDPI)
	}
}

func TestCMYKJPEG(t *testing.T) {
	p := openPage(t, "../../testdata/formats/cmyk-300.jpg", 1)
	if p.DPI != 300 {
		t.Errorf("dpi %v, want 300 from JFIF", p.DPI)
	}
	// Paper must come out light and ink dark: an inverted CMYK reading
	// would swap them.
	g := p.Gray
	var dark int
	for _, v := range g.Pix {
		if v < 100 {
			dark++
		}
	}
	if g.Pix[0] < 200 || dark == 0 || dark > len(g.Pix)/4 {
		t.Errorf("CMYK luminance wrong: corner %d, %d of %d pixels dark", g.Pix[0], dark, len(g.Pix))
	}
	// PDF/A under an sRGB output intent: CMYK becomes an RGB JPEG, noted.
	if p.Embed.Filter != "DCTDecode" || p.Embed.ColorSpace != "DeviceRGB" || len(p.Notes) == 0 {
		t.Errorf("CMYK JPEG embedded as %q %q, notes %v", p.Embed.Filter, p.Embed.ColorSpace, p.Notes)
	}
}

func TestPNG16BitAndDPI(t *testing.T) {
	g := page(120, 90)
	g16 := image.NewGray16(g.Rect)
	for i, v := range g.Pix {
		g16.Pix[2*i], g16.Pix[2*i+1] = v, 0x80
	}
	data := encode(t, func(b *bytes.Buffer) error { return png.Encode(b, g16) })
	// pHYs: 7874 px/m = 200 dpi.
	phys := []byte{0, 0, 0, 9, 'p', 'H', 'Y', 's', 0, 0, 0x1e, 0xc2, 0, 0, 0x1e, 0xc2, 1}
	phys = binary.BigEndian.AppendUint32(phys, crc32.ChecksumIEEE(phys[4:]))
	data = append(append(append([]byte{}, data[:33]...), phys...), data[33:]...)
	p := openPage(t, write(t, "g16.png", data), 1)
	if p.DPI < 199.9 || p.DPI > 200.1 {
		t.Errorf("dpi %v, want 200 from pHYs", p.DPI)
	}
	if !bytes.Equal(p.Gray.Pix, g.Pix) {
		t.Error("16-bit gray not reduced to its high bytes")
	}
	if p.Embed.BitsPerComponent != 8 || p.Embed.ColorSpace != "DeviceGray" {
		t.Errorf("16-bit PNG embedded as %d-bit %s, want 8-bit gray", p.Embed.BitsPerComponent, p.Embed.ColorSpace)
	}
}

func TestPNGAlphaOnWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 10, 10)) // fully transparent
	img.Set(5, 5, color.NRGBA{0, 0, 0, 255})
	data := encode(t, func(b *bytes.Buffer) error { return png.Encode(b, img) })
	p := openPage(t, write(t, "alpha.png", data), 1)
	if p.Gray.GrayAt(0, 0).Y != 255 || p.Gray.GrayAt(5, 5).Y != 0 {
		t.Errorf("transparent should read as paper, opaque black as ink: %d %d", p.Gray.GrayAt(0, 0).Y, p.Gray.GrayAt(5, 5).Y)
	}
}

// multiTIFF chains single-frame TIFFs from x/image/tiff into one file,
// one IFD per page as scanners write them.
func multiTIFF(t *testing.T, frames ...image.Image) []byte {
	t.Helper()
	var out []byte
	var lastNext int // offset of the previous IFD's next-IFD field
	for i, f := range frames {
		b := encode(t, func(w *bytes.Buffer) error { return tiff.Encode(w, f, &tiff.Options{Compression: tiff.Deflate}) })
		le := binary.LittleEndian
		base := uint32(len(out))
		if i == 0 {
			out = append(out, b...)
		} else {
			// Append the frame's bytes after the header and shift every
			// offset in its IFD by where it now starts.
			out = append(out, b[8:]...)
			base -= 8
		}
		ifdOff := le.Uint32(b[4:])
		if i > 0 {
			le.PutUint32(out[lastNext:], ifdOff+base)
		}
		at := int(ifdOff + base)
		n := int(le.Uint16(out[at:]))
		for e := 0; e < n; e++ {
			ent := out[at+2+12*e:]
			typ, count := le.Uint16(ent[2:]), le.Uint32(ent[4:])
			size := typeSize(typ) * int(count)
			tag := le.Uint16(ent)
			if i > 0 && (size > 4 || tag == 273) { // value offsets and StripOffsets
				if size > 4 {
					le.PutUint32(ent[8:], le.Uint32(ent[8:])+base)
				}
				if tag == 273 {
					if size > 4 {
						vo := le.Uint32(ent[8:])
						for k := uint32(0); k < count; k++ {
							le.PutUint32(out[vo+4*k:], le.Uint32(out[vo+4*k:])+base)
						}
					} else {
						le.PutUint32(ent[8:], le.Uint32(ent[8:])+base)
					}
				}
			}
		}
		lastNext = at + 2 + 12*n
	}
	return out
}

func TestMultiPageTIFF(t *testing.T) {
	a, b, c := page(200, 100), page(150, 120), page(90, 60)
	for i := range b.Pix { // make frames distinguishable
		b.Pix[i] /= 2
	}
	g16 := image.NewGray16(c.Rect)
	for i, v := range c.Pix {
		g16.Pix[2*i] = v
	}
	path := write(t, "multi.tif", multiTIFF(t, a, b, g16))
	f, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Pages != 3 {
		t.Fatalf("%d pages, want 3", f.Pages)
	}
	for n, want := range []*image.Gray{a, b, c} {
		p, err := f.Page(n + 1)
		if err != nil {
			t.Fatalf("page %d: %v", n+1, err)
		}
		if !bytes.Equal(p.Gray.Pix, want.Pix) || p.Gray.Rect != want.Rect {
			t.Errorf("page %d: wrong pixels (%v, want %v)", n+1, p.Gray.Rect, want.Rect)
		}
	}
}

func TestBadInputs(t *testing.T) {
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(400, 300), nil) })
	big := encode(t, func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray(image.Rect(0, 0, 4000, 3000))) })
	for _, tc := range []struct {
		name string
		data []byte
		opt  Options
		want error
		says string
	}{
		{"truncated.jpg", jpg[:len(jpg)/2], Options{}, ErrCorrupt, "truncated.jpg"},
		{"notes.txt", []byte("hello, not a scan"), Options{}, ErrUnsupported, "not a JPEG, PNG, TIFF or PDF"},
		{"empty.png", nil, Options{}, ErrUnsupported, "empty file"},
		{"huge.png", big, Options{MaxPixels: 10_000_000}, ErrTooLarge, "12.0 MP, limit 10.0 MP"},
		{"loop.tif", loopTIFF(), Options{}, ErrCorrupt, "loops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, tc.name, tc.data)
			f, err := Open(path, tc.opt)
			if err == nil {
				_, err = f.Page(1)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q should name the file and say %q", err, tc.says)
			}
		})
	}
}

// loopTIFF is a TIFF whose one IFD names itself as the next: a reader
// that follows the chain blindly never stops.
func loopTIFF() []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = le.AppendUint16(b, 2)
	for _, tag := range []uint16{256, 257} { // width, height: 10 px
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, 3)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 10)
	}
	return le.AppendUint32(b, 8)
}

// TestPDFImageSizeLies: a PDF whose image dictionary claims 10×10 around a
// JPEG whose own header says 200×200 must be held to the pixel limit by
// the JPEG's size, not the dictionary's.
func TestPDFImageSizeLies(t *testing.T) {
	jpg := encode(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, page(200, 200), nil) })
	var doc bytes.Buffer
	w, err := pdf.NewWriter(&doc, pdf.Info{Title: "bomb"})
	if err != nil {
		t.Fatal(err)
	}
	img := pdf.Image{Width: 10, Height: 10, BitsPerComponent: 8, ColorSpace: "DeviceGray", Filter: "DCTDecode", Data: jpg}
	if err := w.AddPage(pdf.Page{Width: 100, Height: 100, Image: img, Matrix: [6]float64{100, 0, 0, 100, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(write(t, "lies.pdf", doc.Bytes()), Options{MaxPixels: 1000})
	if err != nil {
		t.Fatalf("Open: %v (the dictionary's 100 px are within the limit)", err)
	}
	if _, err := f.Page(1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Page: got %v, want ErrTooLarge from the JPEG's own 200×200", err)
	}
}

// TestPDFPageImagesReleased: pdfcpu keeps each image stream it decodes in
// the parsed file; once a page is decoded its images must be let go, or a
// PDF of many pages holds every page's pixels until the file is dropped.
func TestPDFPageImagesReleased(t *testing.T) {
	f, err := OpenBytes("flate.pdf", flatePDF(t, 40, 30, "DeviceGray", 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Page(1); err != nil {
		t.Fatal(err)
	}
	for nr, o := range f.pdf.Optimize.ImageObjects {
		if o.ImageDict != nil && o.ImageDict.Content != nil {
			t.Errorf("image object %d still holds %d decoded bytes", nr, len(o.ImageDict.Content))
		}
	}
}
