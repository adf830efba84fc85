package station

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sohoa/sohoa/pipeline/pdf"
)

// A separator sheet is a printed page, scanned among the pages, that
// tells the agent which dossier the pages after it belong to: its QR code
// carries "SOHOA:" and the dossier's code. An end sheet ("SOHOA-SUBMIT:"
// and the code) closes the dossier and submits it, so that an operator
// feeding a stack of dossiers through the scanner never has to touch
// the PC. Sheets are not pages: the agent never uploads them.
const (
	sheetPrefix  = "SOHOA:"
	submitPrefix = "SOHOA-SUBMIT:"
)

// Sheet is what a separator sheet says.
type Sheet struct {
	// Code is the dossier's code, as the service gave it out.
	Code string
	// Submit: an end sheet, put after the dossier's last page; the
	// dossier is submitted once its pages are sent.
	Submit bool
}

// Payload is the text of the sheet's QR code.
func (s Sheet) Payload() string {
	if s.Submit {
		return submitPrefix + s.Code
	}
	return sheetPrefix + s.Code
}

// String names a sheet in what the agent says.
func (s Sheet) String() string {
	if s.Submit {
		return fmt.Sprintf("end sheet of %s", s.Code)
	}
	return fmt.Sprintf("separator sheet of %s", s.Code)
}

// ErrBadCode: a sheet can only carry a dossier code as the service gives
// them out (OFFICE-YYMMDD-NNNN), since the agent joins that dossier.
var ErrBadCode = errors.New("not a dossier code (OFFICE-YYMMDD-NNNN)")

// parsePayload reads a QR code's text; ok is false for any QR code that
// is not a sohoa sheet (a form's own QR code, say).
func parsePayload(text string) (Sheet, bool) {
	text = strings.TrimSpace(text)
	var s Sheet
	switch {
	case strings.HasPrefix(text, submitPrefix):
		s = Sheet{Code: text[len(submitPrefix):], Submit: true}
	case strings.HasPrefix(text, sheetPrefix):
		s = Sheet{Code: text[len(sheetPrefix):]}
	default:
		return Sheet{}, false
	}
	return s, codePattern.MatchString(s.Code)
}

// sheetDPI is the resolution the sheet is drawn at: enough for the text
// to print sharp, while the PNG of a mostly white page stays small.
const sheetDPI = 200

// A4 in points and, at sheetDPI, in pixels.
const (
	a4WidthPt, a4HeightPt = 595.28, 841.89
	a4Width, a4Height     = 1654, 2339
)

// RenderSheet draws the sheet as an A4 page at sheetDPI: the QR code,
// about 9 cm wide so that a skewed or blurred scan still reads, the code
// in large letters an operator can check by eye, and what the sheet is
// for in Vietnamese.
func RenderSheet(s Sheet) (*image.Gray, error) {
	if !codePattern.MatchString(s.Code) {
		return nil, fmt.Errorf("sheet for %q: %w", s.Code, ErrBadCode)
	}
	// Level M: a quarter of the sheet's QR may be smudged or folded.
	bits, err := qrcode.NewQRCodeWriter().Encode(s.Payload(), gozxing.BarcodeFormat_QR_CODE, 0, 0,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_ERROR_CORRECTION: "M", gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		return nil, fmt.Errorf("sheet for %s: QR code: %w", s.Code, err)
	}
	img := image.NewGray(image.Rect(0, 0, a4Width, a4Height))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	n := bits.GetWidth()
	module := 700 / n
	x0, y0 := (a4Width-n*module)/2, 330
	for y := range n {
		for x := range n {
			if bits.Get(x, y) {
				fillRect(img, image.Rect(x0+x*module, y0+y*module, x0+(x+1)*module, y0+(y+1)*module))
			}
		}
	}
	title, line := "TỜ PHÂN CÁCH HỒ SƠ", "Đặt trước các trang của hồ sơ"
	if s.Submit {
		title, line = "TỜ KẾT THÚC HỒ SƠ", "Đặt sau trang cuối: hồ sơ được nộp"
	}
	w := newWriting(img)
	w.centered(title, 34, 220)
	w.centered(s.Code, 60, y0+n*module+230)
	w.centered(line, 26, y0+n*module+400)
	w.centered("sohoa — "+s.Payload(), 14, a4Height-160)
	// A frame an operator sees at a glance when leafing through a stack.
	for _, r := range []image.Rectangle{
		image.Rect(80, 80, a4Width-80, 100), image.Rect(80, a4Height-100, a4Width-80, a4Height-80),
		image.Rect(80, 80, 100, a4Height-80), image.Rect(a4Width-100, 80, a4Width-80, a4Height-80),
	} {
		fillRect(img, r)
	}
	return img, nil
}

func fillRect(img *image.Gray, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
}

// WriteSheetPDF writes the sheet as a one-page A4 PDF (PDF/A, by the
// project's own writer), with the code in the text layer so that a PDF
// viewer's search finds it.
func WriteSheetPDF(out io.Writer, s Sheet) error {
	img, err := RenderSheet(s)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return fmt.Errorf("sheet for %s: %w", s.Code, err)
	}
	pimg, err := pdf.PNGImage(b.Bytes())
	if err != nil {
		return fmt.Errorf("sheet for %s: %w", s.Code, err)
	}
	w, err := pdf.NewWriter(out, pdf.Info{Title: s.Code, Subject: s.Payload(), Creator: "sohoa station sheet"})
	if err != nil {
		return err
	}
	err = w.AddPage(pdf.Page{Width: a4WidthPt, Height: a4HeightPt, Image: pimg,
		Matrix: [6]float64{a4WidthPt, 0, 0, a4HeightPt, 0, 0},
		Lines:  []pdf.Line{{Words: []pdf.Word{{Text: s.Code, Box: codeBox()}}, Box: codeBox()}}})
	if err != nil {
		return fmt.Errorf("sheet for %s: %w", s.Code, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("sheet for %s: %w", s.Code, err)
	}
	return nil
}

// codeBox is about where the code is drawn, in PDF points.
func codeBox() pdf.Rect {
	return pdf.Rect{X0: 120, Y0: a4HeightPt - 470, X1: a4WidthPt - 120, Y1: a4HeightPt - 430}
}
