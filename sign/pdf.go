package sign

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The signer reads only what it needs to append an incremental update to a
// finished PDF with classic cross-reference tables, the kind
// pipeline/pdf writes: the trailer (/Size, /Root, /Info, /ID), the object
// offsets of every xref section back along /Prev, and the dictionaries of
// the catalog and the first page, which the update rewrites. Anything else
// (cross-reference streams, object streams, a catalog that already has a
// form) is refused rather than guessed at.

// ErrUnsupportedPDF is returned by Sign for a PDF it cannot update safely.
var ErrUnsupportedPDF = errors.New("unsupported PDF")

// document is what the signer knows about the PDF it updates.
type document struct {
	data     []byte
	size     int         // trailer /Size
	root     ref         // catalog
	info     *ref        // information dictionary, if any
	id0      string      // first /ID element, hex
	lastXref int64       // offset of the newest xref section
	offsets  map[int]obj // newest offset of each in-use object
	page     ref         // first page
	fields   []ref       // signature fields of earlier signatures
	annots   []ref       // the first page's annotations (their widgets)
}

type ref struct{ num, gen int }

type obj struct {
	off int64
	gen int
}

var (
	reStartxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	reSubsect   = regexp.MustCompile(`^(\d+) (\d+)\s*$`)
	reSize      = regexp.MustCompile(`/Size\s+(\d+)`)
	reRoot      = regexp.MustCompile(`/Root\s+(\d+)\s+(\d+)\s+R`)
	reInfo      = regexp.MustCompile(`/Info\s+(\d+)\s+(\d+)\s+R`)
	rePrev      = regexp.MustCompile(`/Prev\s+(\d+)`)
	reID        = regexp.MustCompile(`/ID\s*\[\s*<([0-9A-Fa-f]*)>`)
	rePages     = regexp.MustCompile(`/Pages\s+(\d+)\s+(\d+)\s+R`)
	reKids      = regexp.MustCompile(`/Kids\s*\[\s*(\d+)\s+(\d+)\s+R`)
	reObjHeader = regexp.MustCompile(`^(\d+)\s+(\d+)\s+obj\b`)
	rePageType  = regexp.MustCompile(`/Type\s*/Page\b`)
	// The form and annotations an earlier signature by this package wrote:
	// inline, with nothing but references in the arrays.
	reOurForm   = regexp.MustCompile(`/AcroForm\s*<<\s*/Fields\s*\[((?:\s*\d+\s+\d+\s+R)*)\s*\]\s*/SigFlags\s+3\s*>>`)
	reOurAnnots = regexp.MustCompile(`/Annots\s*\[((?:\s*\d+\s+\d+\s+R)*)\s*\]`)
	reRef       = regexp.MustCompile(`(\d+)\s+(\d+)\s+R`)
)

// refs lists the references in b.
func refs(b []byte) []ref {
	var out []ref
	for _, m := range reRef.FindAllSubmatch(b, -1) {
		out = append(out, parseRef(m))
	}
	return out
}

// parseDocument reads the trailer chain and locates the catalog and first
// page of data.
func parseDocument(data []byte) (*document, error) {
	tail := data[max(0, len(data)-1024):]
	m := reStartxref.FindSubmatch(tail)
	if m == nil {
		return nil, fmt.Errorf("%w: no startxref and %%%%EOF at the end", ErrUnsupportedPDF)
	}
	d := &document{data: data, offsets: map[int]obj{}}
	var err error
	if d.lastXref, err = strconv.ParseInt(string(m[1]), 10, 64); err != nil {
		return nil, fmt.Errorf("%w: startxref %s", ErrUnsupportedPDF, m[1])
	}

	seen := map[int64]bool{}
	for off, first := d.lastXref, true; ; first = false {
		if seen[off] {
			return nil, fmt.Errorf("%w: xref sections form a loop at %d", ErrUnsupportedPDF, off)
		}
		seen[off] = true
		trailer, err := d.readXref(off)
		if err != nil {
			return nil, err
		}
		if first {
			if err := d.readTrailer(trailer); err != nil {
				return nil, err
			}
		}
		p := rePrev.FindSubmatch(trailer)
		if p == nil {
			break
		}
		if off, err = strconv.ParseInt(string(p[1]), 10, 64); err != nil {
			return nil, fmt.Errorf("%w: trailer /Prev %s", ErrUnsupportedPDF, p[1])
		}
	}

	cat, err := d.dict(d.root)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	// A form is accepted only as an earlier signature of this package left
	// it, so that a second signer (the center after the operator) appends
	// to it; any other form is refused.
	if bytes.Contains(cat, []byte("/AcroForm")) {
		m := reOurForm.FindSubmatch(cat)
		if m == nil {
			return nil, fmt.Errorf("%w: the document has a form other than earlier signatures", ErrUnsupportedPDF)
		}
		d.fields = refs(m[1])
	}
	if d.page, err = d.firstPage(cat); err != nil {
		return nil, err
	}
	page, err := d.dict(d.page)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(page, []byte("/Annots")) {
		m := reOurAnnots.FindSubmatch(page)
		if m == nil || len(d.fields) == 0 {
			return nil, fmt.Errorf("%w: the first page has annotations other than earlier signatures", ErrUnsupportedPDF)
		}
		d.annots = refs(m[1])
	}
	return d, nil
}

// readXref parses the classic xref section at off, recording offsets not
// already known from a newer section, and returns the trailer dictionary.
func (d *document) readXref(off int64) ([]byte, error) {
	if off < 0 || off >= int64(len(d.data)) || !bytes.HasPrefix(d.data[off:], []byte("xref")) {
		return nil, fmt.Errorf("%w: no classic xref table at offset %d (xref streams are not supported)", ErrUnsupportedPDF, off)
	}
	rest := d.data[off+4:]
	end := bytes.Index(rest, []byte("trailer"))
	if end < 0 {
		return nil, fmt.Errorf("%w: xref at %d has no trailer", ErrUnsupportedPDF, off)
	}
	lines := bytes.FieldsFunc(rest[:end], func(r rune) bool { return r == '\n' || r == '\r' })
	for i := 0; i < len(lines); {
		h := reSubsect.FindSubmatch(lines[i])
		if h == nil {
			return nil, fmt.Errorf("%w: bad xref subsection header %q", ErrUnsupportedPDF, lines[i])
		}
		start, _ := strconv.Atoi(string(h[1]))
		count, _ := strconv.Atoi(string(h[2]))
		if i+1+count > len(lines) {
			return nil, fmt.Errorf("%w: xref subsection %d %d is cut short", ErrUnsupportedPDF, start, count)
		}
		for j := 0; j < count; j++ {
			f := bytes.Fields(lines[i+1+j])
			if len(f) != 3 {
				return nil, fmt.Errorf("%w: bad xref entry %q", ErrUnsupportedPDF, lines[i+1+j])
			}
			n := start + j
			if _, known := d.offsets[n]; known || string(f[2]) != "n" {
				continue
			}
			o, err1 := strconv.ParseInt(string(f[0]), 10, 64)
			g, err2 := strconv.Atoi(string(f[1]))
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: bad xref entry %q", ErrUnsupportedPDF, lines[i+1+j])
			}
			d.offsets[n] = obj{off: o, gen: g}
		}
		i += 1 + count
	}
	t := rest[end+len("trailer"):]
	if e := bytes.Index(t, []byte("startxref")); e >= 0 {
		t = t[:e]
	}
	return t, nil
}

func (d *document) readTrailer(t []byte) error {
	m := reSize.FindSubmatch(t)
	if m == nil {
		return fmt.Errorf("%w: trailer has no /Size", ErrUnsupportedPDF)
	}
	d.size, _ = strconv.Atoi(string(m[1]))
	if m = reRoot.FindSubmatch(t); m == nil {
		return fmt.Errorf("%w: trailer has no /Root", ErrUnsupportedPDF)
	}
	d.root = parseRef(m)
	if m = reInfo.FindSubmatch(t); m != nil {
		r := parseRef(m)
		d.info = &r
	}
	if m = reID.FindSubmatch(t); m == nil || len(m[1]) == 0 {
		return fmt.Errorf("%w: trailer has no /ID (PDF/A requires one)", ErrUnsupportedPDF)
	}
	d.id0 = string(m[1])
	if bytes.Contains(t, []byte("/Encrypt")) {
		return fmt.Errorf("%w: the document is encrypted", ErrUnsupportedPDF)
	}
	return nil
}

func parseRef(m [][]byte) ref {
	n, _ := strconv.Atoi(string(m[1]))
	g, _ := strconv.Atoi(string(m[2]))
	return ref{n, g}
}

// dict returns the dictionary of object r, which must not be a stream.
func (d *document) dict(r ref) ([]byte, error) {
	o, ok := d.offsets[r.num]
	if !ok || o.gen != r.gen {
		return nil, fmt.Errorf("%w: object %d %d not in the xref table", ErrUnsupportedPDF, r.num, r.gen)
	}
	if o.off < 0 || o.off >= int64(len(d.data)) {
		return nil, fmt.Errorf("%w: object %d at offset %d beyond the file", ErrUnsupportedPDF, r.num, o.off)
	}
	b := d.data[o.off:]
	h := reObjHeader.FindSubmatch(b)
	if h == nil || string(h[1]) != strconv.Itoa(r.num) {
		return nil, fmt.Errorf("%w: no object %d at offset %d", ErrUnsupportedPDF, r.num, o.off)
	}
	b = b[len(h[0]):]
	end := bytes.Index(b, []byte("endobj"))
	if end < 0 {
		return nil, fmt.Errorf("%w: object %d has no endobj", ErrUnsupportedPDF, r.num)
	}
	b = bytes.TrimSpace(b[:end])
	if !bytes.HasPrefix(b, []byte("<<")) || !bytes.HasSuffix(b, []byte(">>")) {
		return nil, fmt.Errorf("%w: object %d is not a dictionary", ErrUnsupportedPDF, r.num)
	}
	return b, nil
}

// firstPage walks the page tree from the catalog down its first kids.
func (d *document) firstPage(cat []byte) (ref, error) {
	m := rePages.FindSubmatch(cat)
	if m == nil {
		return ref{}, fmt.Errorf("%w: catalog has no /Pages", ErrUnsupportedPDF)
	}
	r := parseRef(m)
	for depth := 0; depth < 32; depth++ {
		node, err := d.dict(r)
		if err != nil {
			return ref{}, fmt.Errorf("page tree: %w", err)
		}
		k := reKids.FindSubmatch(node)
		if k == nil {
			if !rePageType.Match(node) {
				return ref{}, fmt.Errorf("%w: page tree node %d has no kids", ErrUnsupportedPDF, r.num)
			}
			return r, nil
		}
		r = parseRef(k)
	}
	return ref{}, fmt.Errorf("%w: page tree deeper than 32 levels", ErrUnsupportedPDF)
}

// withKey returns dict with "key value" added before its closing ">>".
func withKey(dict []byte, kv string) []byte {
	i := bytes.LastIndex(dict, []byte(">>"))
	out := make([]byte, 0, len(dict)+len(kv)+2)
	out = append(out, dict[:i]...)
	if n := len(out); n > 0 && out[n-1] != ' ' {
		out = append(out, ' ')
	}
	out = append(out, kv...)
	out = append(out, ' ')
	return append(out, dict[i:]...)
}

// without returns dict with the first match of re removed.
func without(dict []byte, re *regexp.Regexp) []byte {
	loc := re.FindIndex(dict)
	if loc == nil {
		return dict
	}
	return append(append([]byte(nil), dict[:loc[0]]...), dict[loc[1]:]...)
}

// refList writes rs as the inside of a PDF array.
func refList(rs []ref) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d %d R", r.num, r.gen)
	}
	return b.String()
}
