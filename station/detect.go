package station

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// maxSheetPixels bounds what is decoded to look for a sheet, as the
// service bounds a page: a larger file is a page, never a sheet, and is
// not allocated here (a decompression bomb stays on the disk).
const maxSheetPixels = 120 << 20

// lookSide is the longest side a page is brought down to before the QR
// code is looked for: the sheet's modules stay ~10 pixels wide, and a
// 300 dpi A4 page is searched in a sixth of the time.
const lookSide = 1200

// readSheet reports whether the page file at path is a separator sheet,
// and which. JPEG, PNG and TIFF files are looked at, and a scanner's PDF
// of one JPEG-compressed page (see pdfScan). A file that does not decode
// is a page; the service says what is wrong with it.
func readSheet(path string) (Sheet, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg", ".png", ".tif", ".tiff":
	case ".pdf":
		img, ok := pdfScan(path)
		if !ok {
			return Sheet{}, false
		}
		return findSheet(img)
	default:
		return Sheet{}, false
	}
	f, err := os.Open(path)
	if err != nil {
		return Sheet{}, false
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil || cfg.Width*cfg.Height > maxSheetPixels || cfg.Width*cfg.Height == 0 {
		return Sheet{}, false
	}
	if _, err := f.Seek(0, 0); err != nil {
		return Sheet{}, false
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return Sheet{}, false
	}
	return findSheet(img)
}

// maxSheetPDF: a scanner's PDF of one page is well under this; a larger
// PDF is a page (or many), not read into memory here.
const maxSheetPDF = 32 << 20

var (
	pdfImage    = regexp.MustCompile(`/Subtype\s*/Image\b`)
	pdfStream   = regexp.MustCompile(`>>\s*stream(\r\n|\n|\r)`)
	pdfDCT      = regexp.MustCompile(`/Filter\s*(\[\s*)?/DCTDecode\s*\]?`)
	pdfDictStop = regexp.MustCompile(`>>\s*stream`)
)

// pdfScan is the page image of a scanner's PDF holding a single page, as
// scanners write one: one image XObject, a JPEG stored as it is
// (DCTDecode). That is read without a PDF parser: the image's dictionary
// is plain text (a stream is never inside an object stream) and its data
// a JPEG, which ends itself. Any other PDF (several images, a page
// drawn in vectors, an image compressed otherwise) is taken as a page.
func pdfScan(path string) (image.Image, bool) {
	info, err := os.Stat(path)
	if err != nil || info.Size() > maxSheetPDF {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	at := pdfImage.FindAllIndex(b, 2)
	if len(at) != 1 {
		return nil, false
	}
	// The image's dictionary runs to the stream keyword after it; the
	// dictionary may start before /Subtype, so the filter is looked for
	// from the object's start.
	obj := bytes.LastIndex(b[:at[0][0]], []byte(" obj"))
	end := pdfDictStop.FindIndex(b[at[0][0]:])
	if obj < 0 || end == nil {
		return nil, false
	}
	dict := b[obj : at[0][0]+end[0]]
	if !pdfDCT.Match(dict) {
		return nil, false
	}
	data := pdfStream.FindIndex(b[obj:])
	if data == nil {
		return nil, false
	}
	r := bytes.NewReader(b[obj+data[1]:])
	cfg, err := jpeg.DecodeConfig(r)
	if err != nil || cfg.Width*cfg.Height > maxSheetPixels {
		return nil, false
	}
	r.Seek(0, io.SeekStart)
	img, err := jpeg.Decode(r)
	return img, err == nil
}

// findSheet looks for a sheet's QR code in a page image: first on a
// copy brought down to lookSide, which finds a sheet scanned at any
// usual resolution, then, for a page larger than that, at twice the
// size, for a sheet printed small or scanned blurred.
func findSheet(img image.Image) (Sheet, bool) {
	text, ok := findQR(img)
	if !ok {
		return Sheet{}, false
	}
	return parsePayload(text)
}

// findQR is the text of the QR code on a page, if it has one.
func findQR(img image.Image) (string, bool) {
	g := grayOf(img)
	long := max(g.Bounds().Dx(), g.Bounds().Dy())
	for _, side := range []int{lookSide, 2 * lookSide} {
		f := max(1, (long+side-1)/side)
		bmp, err := gozxing.NewBinaryBitmapFromImage(shrink(g, f))
		if err != nil {
			return "", false
		}
		hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), true
		}
		if f <= 2 {
			break // the next try would be the same page, or nearly
		}
	}
	return "", false
}

// grayOf is img's luminance: a JPEG's Y plane as it is, anything else
// converted.
func grayOf(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		b := m.Bounds()
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: b}
	}
	b := img.Bounds()
	g := image.NewGray(b)
	draw.Draw(g, b, img, b.Min, draw.Src)
	return g
}

// shrink averages f×f blocks of g.
func shrink(g *image.Gray, f int) *image.Gray {
	if f <= 1 {
		return g
	}
	b := g.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewGray(image.Rect(0, 0, w, h))
	sum := make([]int, w)
	for y := range h {
		clear(sum)
		for dy := range f {
			row := g.Pix[(y*f+dy)*g.Stride:]
			for x := range w {
				for _, v := range row[x*f : x*f+f] {
					sum[x] += int(v)
				}
			}
		}
		for x := range w {
			out.Pix[y*out.Stride+x] = uint8(sum[x] / (f * f))
		}
	}
	return out
}
