// Package pdf writes the dossier PDF at the assemble stage of the pipeline:
// one page per scan, each page the scan image drawn at its physical size
// under an invisible, word-positioned OCR text layer, so that the dossier
// can be searched and copied from while looking exactly like the paper.
//
// The writer streams: AddPage writes a page's objects at once and keeps only
// their offsets, so a 200-page dossier never sits in memory. Scan images are
// embedded as already-encoded bytes (JPEG as DCTDecode, PNG image data as
// FlateDecode with PNG predictors, CCITT G4 as CCITTFaxDecode) because
// re-encoding would cost time and quality; straightening a skewed scan is
// done by the drawing matrix for the same reason.
//
// Every document is PDF/A-2b (ISO 19005-2, level B) as written, with no
// conversion pass: an embedded font with matching widths and a ToUnicode
// map, a binary header comment, exact stream lengths, a document /ID, an
// sRGB output intent (icc.go) and an XMP packet that repeats the
// information dictionary and records the originals each page was made
// from (xmp.go). Scan images must therefore be DeviceGray or DeviceRGB.
//
// The output is byte-deterministic for the same input, so a stage's output
// can be keyed by the hash of its input.
package pdf

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Info is the document information dictionary, repeated in the XMP
// metadata as PDF/A requires. Title is the dossier code, which the XMP also
// records as sohoa:dossierCode. Empty fields are left out; the creation
// and modification dates are written only when Created is set, so that the
// same input always gives the same bytes. Strings are NFC-normalised and
// trimmed, Created is kept to the second.
type Info struct {
	Title, Author, Subject, Creator, Producer string
	Created                                   time.Time
}

// normalize returns in as the document states it, or an error naming the
// field that neither the information dictionary nor XMP could carry.
func (in Info) normalize() (Info, error) {
	for _, f := range []struct {
		name string
		val  *string
	}{
		{"title", &in.Title},
		{"author", &in.Author},
		{"subject", &in.Subject},
		{"creator", &in.Creator},
		{"producer", &in.Producer},
	} {
		*f.val = strings.TrimSpace(norm.NFC.String(*f.val))
		if err := checkMetadataText(*f.val); err != nil {
			return Info{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if !in.Created.IsZero() {
		t := in.Created.Truncate(time.Second)
		if _, off := t.Zone(); off%60 != 0 {
			t = t.UTC() // PDF dates have no seconds in the zone offset
		}
		if y := t.Year(); y < 1 || y > 9999 {
			return Info{}, fmt.Errorf("created %v: year outside 1..9999", in.Created)
		}
		in.Created = t
	}
	return in, nil
}

// Page is one scan as it appears in the dossier.
type Page struct {
	// Width and Height are the page size in points (1/72 inch); PDF/A allows
	// 3 to 14400.
	Width, Height float64
	// Image is the scan, drawn once on the page.
	Image Image
	// Matrix is the operand of the cm operator that maps the image's unit
	// square (image space, origin bottom-left) into page space. A straight
	// scan filling the page is {Width, 0, 0, Height, 0, 0}; a rotated or
	// deskewed one carries the rotation here so the image bytes stay as
	// scanned.
	Matrix [6]float64
	// Lines are the OCR text layer, top to bottom in reading order.
	Lines []Line
	// Original is the file the page was made from, recorded in the
	// document's XMP metadata; the zero Original records nothing but the
	// page number.
	Original Original
}

// Line is one OCR text line. Its box sets the font size and baseline of all
// its words, so they share a baseline and text extractors keep them on one
// line.
type Line struct {
	Words []Word // left to right
	Box   Rect
}

// Word is one OCR word; Box is in page space (points, origin bottom-left).
// The word's horizontal extent is reproduced exactly, so that selecting the
// word in a viewer highlights it on the image; its vertical extent is the
// line's.
type Word struct {
	Text string
	Box  Rect
}

// Rect is an axis-aligned rectangle with X0 < X1 and Y0 < Y1.
type Rect struct {
	X0, Y0, X1, Y1 float64
}

// Fixed object numbers for what Close writes; pages take the numbers after
// them. Knowing them in advance lets each page name its parent and the font
// before those objects exist.
const (
	objCatalog = 1 + iota
	objPages
	objFont
	objCIDFont
	objFontDescriptor
	objFontFile
	objCIDToGIDMap
	objToUnicode
	objInfo
	objMetadata
	objICCProfile
	firstPageObj
)

// Resource names used on every page.
const (
	imageName = "Im0"
	fontName  = "F0"
)

// ErrClosed is returned by AddPage and Close once Close has been called.
var ErrClosed = errors.New("pdf: writer closed")

// Writer writes one PDF document to an io.Writer, page by page.
type Writer struct {
	out     *countingWriter
	info    Info
	offsets []int64    // byte offset of each object, indexed by object number
	pages   []int      // page object numbers, in order
	origs   []Original // each page's original, for the XMP metadata
	summary *Summary   // the metadata stages' summary, for the XMP metadata
	used    codeSet    // codes shown on any page, for the ToUnicode CMap
	closed  bool
	err     error // first write error; every later call returns it
}

// countingWriter tracks the byte offset for the xref table and hashes
// everything written for the document /ID.
type countingWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	off int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.off += int64(n)
	c.err = err
	return n, err
}

// NewWriter starts a document on w and writes the header at once. The caller
// must call Close to finish the document; Close does not close w.
func NewWriter(w io.Writer, info Info) (*Writer, error) {
	info, err := info.normalize()
	if err != nil {
		return nil, fmt.Errorf("pdf: info %w", err)
	}
	pw := &Writer{
		out:     &countingWriter{w: bufio.NewWriterSize(w, 64<<10), h: sha256.New()},
		info:    info,
		offsets: make([]int64, firstPageObj),
	}
	// The comment of four bytes above 127 marks the file as binary for
	// transfer tools; PDF/A requires it.
	pw.out.Write([]byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"))
	if err := pw.out.err; err != nil {
		return nil, fmt.Errorf("pdf: write header: %w", err)
	}
	return pw, nil
}

// AddPage validates p, writes its image, content stream and page
// dictionary to the underlying writer and flushes. Nothing of the page is
// retained but its objects' offsets.
func (w *Writer) AddPage(p Page) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	pageNo := len(w.pages) + 1
	if err := p.validate(); err != nil {
		return fmt.Errorf("pdf: page %d: %w", pageNo, err)
	}
	content := pageContent(&p, &w.used)

	xobjects := w.writeImage(&p.Image)
	contentObj := len(w.offsets)
	pageObj := contentObj + 1
	w.offsets = append(w.offsets, 0, 0)

	w.writeStream(contentObj, "/Filter /FlateDecode", FlateStream(content))
	w.beginObj(pageObj)
	fmt.Fprintf(w.out, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "+
		"/Resources << /XObject << %s >> /Font << /%s %d 0 R >> >> /Contents %d 0 R >>\n",
		objPages, num2(p.Width), num2(p.Height), xobjects, fontName, objFont, contentObj)
	w.endObj()
	// Hand the page on now: a consumer (a file, an upload) sees the dossier
	// grow page by page, and nothing of this page stays in our buffer.
	if w.out.err == nil {
		w.out.err = w.out.w.Flush()
	}
	if err := w.out.err; err != nil {
		w.err = fmt.Errorf("pdf: write page %d: %w", pageNo, err)
		return w.err
	}
	w.pages = append(w.pages, pageObj)
	w.origs = append(w.origs, p.Original)
	return nil
}

// SetSummary puts the metadata stages' summary into the XMP written at
// Close; text XMP could not carry is refused.
func (w *Writer) SetSummary(s Summary) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("pdf: summary: %w", err)
	}
	w.summary = &s
	return nil
}

// Close writes the shared font, the page tree, the XMP metadata, the
// output intent's ICC profile, catalog, information dictionary,
// cross-reference table and trailer, and flushes. A document needs at
// least one page.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if len(w.pages) == 0 {
		return errors.New("pdf: close: document has no pages")
	}

	w.writeFont()

	w.beginObj(objPages)
	fmt.Fprintf(w.out, "<< /Type /Pages /Count %d /Kids [", len(w.pages))
	for i, p := range w.pages {
		if i > 0 {
			w.out.Write([]byte(" "))
		}
		fmt.Fprintf(w.out, "%d 0 R", p)
	}
	w.out.Write([]byte("] >>\n"))
	w.endObj()

	// Uncompressed, so that tools which look for XMP by scanning the file
	// find it.
	w.writeStream(objMetadata, "/Type /Metadata /Subtype /XML", xmpPacket(w.info, w.origs, w.summary))
	w.writeStream(objICCProfile, "/N 3 /Filter /FlateDecode", srgbProfileFlate)

	w.beginObj(objCatalog)
	fmt.Fprintf(w.out, "<< /Type /Catalog /Pages %d 0 R /Metadata %d 0 R /OutputIntents [<< /Type /OutputIntent "+
		"/S /GTS_PDFA1 /OutputConditionIdentifier (%s) /RegistryName (http://www.color.org) /Info (%s) "+
		"/DestOutputProfile %d 0 R >>] >>\n", objPages, objMetadata, srgbName, srgbName, objICCProfile)
	w.endObj()

	w.beginObj(objInfo)
	w.out.Write(w.info.dict())
	w.endObj()

	// The /ID is the hash of every byte before the xref table: the same
	// document always gets the same ID and any change gives a new one.
	id := fmt.Sprintf("%X", w.out.h.Sum(nil)[:16])

	xref := w.out.off
	fmt.Fprintf(w.out, "xref\n0 %d\n0000000000 65535 f\r\n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		fmt.Fprintf(w.out, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(w.out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), objCatalog, objInfo, id, id, xref)
	if w.out.err == nil {
		w.out.err = w.out.w.Flush()
	}
	if err := w.out.err; err != nil {
		w.err = fmt.Errorf("pdf: write document end: %w", err)
		return w.err
	}
	return nil
}

// writeFont writes the glyphless Type0 font shared by all pages.
func (w *Writer) writeFont() {
	w.beginObj(objFont)
	fmt.Fprintf(w.out, "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "+
		"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>\n", glyphlessName, objCIDFont, objToUnicode)
	w.endObj()

	w.beginObj(objCIDFont)
	fmt.Fprintf(w.out, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "+
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
		"/FontDescriptor %d 0 R /DW %d /CIDToGIDMap %d 0 R >>\n",
		glyphlessName, objFontDescriptor, glyphlessAdvance, objCIDToGIDMap)
	w.endObj()

	// Flags 5 = FixedPitch (every glyph advances the same) + Symbolic (the
	// glyphs are not a standard Latin set).
	w.beginObj(objFontDescriptor)
	fmt.Fprintf(w.out, "<< /Type /FontDescriptor /FontName /%s /Flags 5 /FontBBox [0 %d %d %d] "+
		"/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /XHeight %d /StemV 80 /FontFile2 %d 0 R >>\n",
		glyphlessName, glyphlessDescent, glyphlessAdvance, glyphlessAscent,
		glyphlessAscent, glyphlessDescent, glyphlessCap, glyphlessXHeight, objFontFile)
	w.endObj()

	w.writeStream(objFontFile, fmt.Sprintf("/Length1 %d /Filter /FlateDecode", len(glyphlessFont)), glyphlessFontFlate)
	w.writeStream(objCIDToGIDMap, "/Filter /FlateDecode", cidToGIDMap)
	w.writeStream(objToUnicode, "/Filter /FlateDecode", toUnicodeCMap(&w.used))
}

// glyphlessFontFlate is the embedded form of the font program.
var glyphlessFontFlate = FlateStream(glyphlessFont)

func (w *Writer) beginObj(n int) {
	w.offsets[n] = w.out.off
	fmt.Fprintf(w.out, "%d 0 obj\n", n)
}

func (w *Writer) endObj() {
	w.out.Write([]byte("endobj\n"))
}

// writeStream writes a stream object; dict is the dictionary's content
// without /Length, which is added from len(data).
func (w *Writer) writeStream(n int, dict string, data []byte) {
	w.beginObj(n)
	fmt.Fprintf(w.out, "<< %s /Length %d >>\nstream\n", dict, len(data))
	w.out.Write(data)
	w.out.Write([]byte("\nendstream\n"))
	w.endObj()
}

// validate rejects what would make a broken or non-PDF/A page, naming the
// field, so the caller's bug is found here and not in a viewer.
func (p *Page) validate() error {
	for _, v := range []float64{p.Width, p.Height} {
		if !(v >= 3 && v <= 14400) {
			return fmt.Errorf("page size %gx%g pt outside 3..14400", p.Width, p.Height)
		}
	}
	for _, v := range p.Matrix {
		if !coord(v) {
			return fmt.Errorf("matrix %v not finite or beyond ±%g", p.Matrix, maxCoord)
		}
	}
	if det := p.Matrix[0]*p.Matrix[3] - p.Matrix[1]*p.Matrix[2]; det == 0 {
		return fmt.Errorf("matrix %v is singular: the image would not show", p.Matrix)
	}
	if err := p.Image.validate(); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := p.Original.validate(); err != nil {
		return err
	}
	for i, l := range p.Lines {
		if !l.Box.coords() {
			return fmt.Errorf("line %d: box %v not finite or beyond ±%g", i, l.Box, maxCoord)
		}
		for j, wd := range l.Words {
			if !wd.Box.coords() {
				return fmt.Errorf("line %d word %d: box %v not finite or beyond ±%g", i, j, wd.Box, maxCoord)
			}
		}
	}
	return nil
}

// maxCoord bounds matrix entries and box coordinates, far beyond any page
// (PDF/A allows pages up to 14400 pt), so that every number the content
// stream derives from them stays within PDF/A's limit on real numbers
// (ISO 19005-2 6.1.13).
const maxCoord = 1e6

func (r Rect) coords() bool {
	return coord(r.X0) && coord(r.Y0) && coord(r.X1) && coord(r.Y1)
}

func coord(v float64) bool { return finite(v) && math.Abs(v) <= maxCoord }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// pageContent is the uncompressed content stream: the image under the
// text layer.
func pageContent(p *Page, used *codeSet) []byte {
	var b bytes.Buffer
	b.WriteString("q\n")
	for _, v := range p.Matrix {
		b.WriteString(num(v, 4))
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "cm\n%s\nQ\n", p.Image.draw())
	writeTextLayer(&b, p.Lines, used)
	return b.Bytes()
}

// dict is the information dictionary; strings are NFC-normalised like the
// text layer so that metadata and text compare equal.
func (in Info) dict() []byte {
	var b bytes.Buffer
	b.WriteString("<<")
	for _, f := range []struct{ key, val string }{
		{"Title", in.Title},
		{"Author", in.Author},
		{"Subject", in.Subject},
		{"Creator", in.Creator},
		{"Producer", in.Producer},
	} {
		if f.val != "" {
			fmt.Fprintf(&b, " /%s %s", f.key, TextString(f.val))
		}
	}
	if !in.Created.IsZero() {
		d := DateString(in.Created)
		fmt.Fprintf(&b, " /CreationDate (%s) /ModDate (%s)", d, d)
	}
	b.WriteString(" >>\n")
	return b.Bytes()
}

// TextString encodes a PDF text string: a literal when it is printable
// ASCII, otherwise UTF-16BE with a byte order mark, which is how PDF carries
// Vietnamese in metadata.
func TextString(s string) string {
	s = norm.NFC.String(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		var b bytes.Buffer
		b.WriteByte('(')
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte(')')
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}

// DateString formats t as a PDF date string (ISO 32000-1 7.9.4), keeping t's
// own time zone. UTC is written +00'00' rather than Z: the same instant,
// but some strict readers (pdfcpu) refuse a bare Z.
func DateString(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%s%c%02d'%02d'", t.Format("D:20060102150405"), sign, off/3600, off%3600/60)
}

// num formats v with at most prec decimals and no exponent, trailing zeros
// removed, as PDF real numbers must be written.
func num(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// num2 is num at 1/100 point, finer than any scan resolution.
func num2(v float64) string { return num(v, 2) }
