package scan

import (
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/image/tiff"
)

// TIFF tags read here.
const (
	tagWidth           = 256
	tagHeight          = 257
	tagBitsPerSample   = 258
	tagOrientation     = 274
	tagSamplesPerPixel = 277
	tagXResolution     = 282
	tagResolutionUnit  = 296
)

// tiffFile is a TIFF (or Exif) structure: a byte order and a chain of IFDs.
type tiffFile struct {
	data  []byte
	order binary.ByteOrder
	first int64
}

func parseTIFFHeader(data []byte) (*tiffFile, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: TIFF header truncated", ErrCorrupt)
	}
	t := &tiffFile{data: data}
	switch string(data[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: bad TIFF byte order", ErrCorrupt)
	}
	t.first = int64(t.order.Uint32(data[4:]))
	return t, nil
}

// ifd is one image file directory: tag → (type, count, value bytes).
type ifd struct {
	t    *tiffFile
	tags map[uint16]ifdEntry
	next int64
}

type ifdEntry struct {
	typ   uint16
	count uint32
	value []byte
}

func (t *tiffFile) readIFD(off int64) (*ifd, error) {
	d := t.data
	if off < 8 || off+2 > int64(len(d)) {
		return nil, fmt.Errorf("%w: IFD offset %d outside the file", ErrCorrupt, off)
	}
	n := int64(t.order.Uint16(d[off:]))
	end := off + 2 + 12*n
	if end+4 > int64(len(d)) {
		return nil, fmt.Errorf("%w: IFD at %d runs past the end", ErrCorrupt, off)
	}
	f := &ifd{t: t, tags: make(map[uint16]ifdEntry, n), next: int64(t.order.Uint32(d[end:]))}
	for i := int64(0); i < n; i++ {
		e := d[off+2+12*i:]
		tag, typ, count := t.order.Uint16(e), t.order.Uint16(e[2:]), t.order.Uint32(e[4:])
		size := int64(typeSize(typ)) * int64(count)
		val := e[8:12]
		if size > 4 {
			vo := int64(t.order.Uint32(e[8:]))
			if size > int64(len(d)) || vo < 0 || vo+size > int64(len(d)) {
				continue // a broken tag we may not need; decoding decides
			}
			val = d[vo : vo+size]
		}
		f.tags[tag] = ifdEntry{typ, count, val}
	}
	return f, nil
}

func typeSize(typ uint16) int {
	switch typ {
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11: // LONG, SLONG, FLOAT
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 1
}

// uint returns the first value of an integer tag, or def.
func (f *ifd) uint(tag uint16, def uint32) uint32 {
	e, ok := f.tags[tag]
	if !ok || e.count == 0 {
		return def
	}
	switch e.typ {
	case 3:
		return uint32(f.t.order.Uint16(e.value))
	case 4:
		return f.t.order.Uint32(e.value)
	case 1:
		return uint32(e.value[0])
	}
	return def
}

func (f *ifd) rational(tag uint16) float64 {
	e, ok := f.tags[tag]
	if !ok || e.typ != 5 || e.count == 0 || len(e.value) < 8 {
		return 0
	}
	num, den := f.t.order.Uint32(e.value), f.t.order.Uint32(e.value[4:])
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// dpi is the horizontal resolution in dots per inch, 0 when not given.
func (f *ifd) dpi() float64 {
	r := f.rational(tagXResolution)
	switch f.uint(tagResolutionUnit, 2) {
	case 2:
		return r
	case 3:
		return r * 2.54
	}
	return 0 // unit 1: aspect ratio only
}

// probeTIFF follows the IFD chain: one IFD per page, as scanners write
// multi-page files. Sub-IFDs (thumbnails) are not in the chain.
func (f *File) probeTIFF(data []byte) error {
	t, err := parseTIFFHeader(data)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	seen := map[int64]bool{}
	for off := t.first; off != 0; {
		if seen[off] {
			return fmt.Errorf("%s: %w: IFD chain loops at offset %d", f.Path, ErrCorrupt, off)
		}
		seen[off] = true
		d, err := t.readIFD(off)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", f.Path, len(f.ifds)+1, err)
		}
		if err := f.checkPixels(len(f.ifds)+1, int(d.uint(tagWidth, 0)), int(d.uint(tagHeight, 0))); err != nil {
			return err
		}
		f.ifds = append(f.ifds, off)
		if len(f.ifds) > f.opt.maxPages() {
			return fmt.Errorf("%s: %w: more than %d pages", f.Path, ErrTooLarge, f.opt.maxPages())
		}
		off = d.next
	}
	if len(f.ifds) == 0 {
		return fmt.Errorf("%s: %w: TIFF has no pages", f.Path, ErrCorrupt)
	}
	f.Pages = len(f.ifds)
	return nil
}

func (f *File) decodeTIFF(p *Page, data []byte, n int) error {
	t, err := parseTIFFHeader(data)
	if err != nil {
		return err
	}
	d, err := t.readIFD(f.ifds[n-1])
	if err != nil {
		return err
	}
	p.DPI = d.dpi()
	if o := d.uint(tagOrientation, 1); o >= 1 && o <= 8 {
		p.Orientation = int(o)
	}
	bilevel := d.uint(tagBitsPerSample, 1) == 1
	// Gray and black-and-white frames (what document scanners write) embed
	// from their luminance, which Leptonica decodes fastest. Leptonica
	// may apply a frame's orientation tag itself, so tagged frames, and
	// colour ones, take Go's decoder.
	if d.uint(tagSamplesPerPixel, 1) == 1 && p.Orientation == 1 {
		if p.Gray = leptGray(leptTIFF, data, n-1, int(d.uint(tagWidth, 0)), int(d.uint(tagHeight, 0))); p.Gray != nil {
			if bilevel {
				p.Embed = bilevelImage(p.Gray)
			} else {
				p.Embed = flateImage(p.Gray)
			}
			return nil
		}
	}
	// x/image/tiff decodes the first IFD only; show it a view of the file
	// whose header points at this page's IFD instead.
	img, err := tiff.Decode(&frameView{data: data, order: t.order, ifd: uint32(f.ifds[n-1])})
	if err != nil {
		return decodeError(err)
	}
	p.Gray = toGray(img)
	if bilevel {
		p.Embed = bilevelImage(p.Gray)
	} else {
		p.Embed = flateImage(img)
	}
	return nil
}

// frameView reads like the TIFF file except that bytes 4-7, the first IFD
// offset, name another IFD.
type frameView struct {
	data  []byte
	order binary.ByteOrder
	ifd   uint32
	pos   int64
}

func (v *frameView) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(v.data)) {
		return 0, io.EOF
	}
	n := copy(b, v.data[off:])
	var hdr [4]byte
	v.order.PutUint32(hdr[:], v.ifd)
	for i := range n {
		if at := off + int64(i); at >= 4 && at < 8 {
			b[i] = hdr[at-4]
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (v *frameView) Read(b []byte) (int, error) {
	n, err := v.ReadAt(b, v.pos)
	v.pos += int64(n)
	return n, err
}
