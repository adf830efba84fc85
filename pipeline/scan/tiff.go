package scan

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/image/tiff"
	"golang.org/x/image/tiff/lzw"
)

// TIFF tags read here.
const (
	tagWidth           = 256
	tagHeight          = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagStripOffsets    = 273
	tagOrientation     = 274
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagResolutionUnit  = 296
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
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

// uints returns every value of an integer tag (strip offsets ...).
func (f *ifd) uints(tag uint16) []uint32 {
	e, ok := f.tags[tag]
	size := typeSize(e.typ)
	if !ok || (e.typ != 1 && e.typ != 3 && e.typ != 4) {
		return nil
	}
	n := min(int(e.count), len(e.value)/size)
	out := make([]uint32, n)
	for i := range out {
		switch v := e.value[i*size:]; e.typ {
		case 1:
			out[i] = uint32(v[0])
		case 3:
			out[i] = uint32(f.t.order.Uint16(v))
		case 4:
			out[i] = f.t.order.Uint32(v)
		}
	}
	return out
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
		if len(f.ifds) == f.opt.maxPages() {
			return fmt.Errorf("%s: %w: %s, limit %d pages a file", f.Path, ErrTooLarge, t.countFrames(d.next, seen, len(f.ifds)+1), f.opt.maxPages())
		}
		if err := f.checkSize(len(f.ifds)+1, tiffSize(d)); err != nil {
			return err
		}
		f.ifds = append(f.ifds, off)
		off = d.next
	}
	if len(f.ifds) == 0 {
		return fmt.Errorf("%s: %w: TIFF has no pages", f.Path, ErrCorrupt)
	}
	f.Pages = len(f.ifds)
	return nil
}

// countFrames names how many frames a file over the page limit holds:
// the done already read and those chained from the IFD at off, counted by
// the chain alone and no further than maxFrameCount (a hostile chain may
// be millions long).
func (t *tiffFile) countFrames(off int64, seen map[int64]bool, done int) string {
	n, d := done, t.data
	for off != 0 && !seen[off] && n < maxFrameCount {
		if off < 8 || off+2 > int64(len(d)) {
			break
		}
		end := off + 2 + 12*int64(t.order.Uint16(d[off:]))
		if end+4 > int64(len(d)) {
			break
		}
		seen[off] = true
		n++
		off = int64(t.order.Uint32(d[end:]))
	}
	if n >= maxFrameCount && off != 0 {
		return fmt.Sprintf("more than %d frames", n)
	}
	return fmt.Sprintf("%d frames", n)
}

// maxFrameCount is as far as countFrames counts.
const maxFrameCount = 100_000

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
		if p.Gray, _ = leptGray(leptTIFF, data, n-1, int(d.uint(tagWidth, 0)), int(d.uint(tagHeight, 0)), false, nil); p.Gray != nil {
			if bilevel {
				p.Embed = bilevelImage(p.Gray)
			} else {
				p.Embed = flateImage(p.Gray, p.Gray)
			}
			return nil
		}
	}
	if err := d.checkBlocks(); err != nil {
		return err
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
		p.Embed = flateImage(img, p.Gray)
		p.chroma = chromaOf(img)
	}
	return nil
}

// checkBlocks holds each strip (or tile) of a frame to the bytes its rows
// take, before Go's decoder reads it. x/image/tiff inflates a whole strip
// into memory first, allowing eight bytes a pixel whatever the frame's
// depth, so a deflate strip of a few kilobytes could take a gigabyte past
// the decoded size the probe allowed. Counting what a strip inflates to
// takes a pass and no memory. Uncompressed strips are bounded by the file,
// CCITT ones by the frame's size; a strip that does not even inflate is
// left to the decoder to report.
func (d *ifd) checkBlocks() error {
	w, h := int64(d.uint(tagWidth, 0)), int64(d.uint(tagHeight, 0))
	offs, counts := d.uints(tagStripOffsets), d.uints(tagStripByteCounts)
	rows := int64(d.uint(tagRowsPerStrip, 0))
	if rows <= 0 || rows > h {
		rows = h
	}
	if _, tiled := d.tags[tagTileWidth]; tiled {
		w, rows = int64(d.uint(tagTileWidth, 0)), int64(d.uint(tagTileLength, 0))
		offs, counts = d.uints(tagTileOffsets), d.uints(tagTileByteCounts)
	}
	sampleBits := int64(d.uint(tagSamplesPerPixel, 1)) * int64(d.uint(tagBitsPerSample, 1))
	want := (w*sampleBits + 7) / 8 * rows
	data := d.t.data
	for i := range min(len(offs), len(counts)) {
		off, n := int64(offs[i]), int64(counts[i])
		if off+n > int64(len(data)) {
			continue
		}
		if got := inflatedSize(d.uint(tagCompression, 1), data[off:off+n], want); got > want {
			return fmt.Errorf("%w: strip %d inflates past the %d bytes its rows take", ErrTooLarge, i+1, want)
		}
	}
	return nil
}

// inflatedSize counts the bytes a compressed strip inflates to, stopping
// once past limit; 0 for compressions it need not count.
func inflatedSize(compression uint32, strip []byte, limit int64) int64 {
	var r io.Reader
	switch compression {
	case 5: // LZW
		r = lzw.NewReader(bytes.NewReader(strip), lzw.MSB, 8)
	case 8, 32946: // Deflate
		zr, err := zlib.NewReader(bytes.NewReader(strip))
		if err != nil {
			return 0
		}
		r = zr
	case 32773:
		return unpackedSize(strip, limit)
	default:
		return 0
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	return n
}

// unpackedSize counts the bytes a PackBits strip unpacks to.
func unpackedSize(strip []byte, limit int64) int64 {
	var n int64
	for i := 0; i < len(strip) && n <= limit; {
		switch c := int(int8(strip[i])); {
		case c >= 0: // c+1 bytes as they are
			n += int64(c + 1)
			i += 2 + c
		case c == -128: // no-op
			i++
		default: // the next byte 1-c times
			n += int64(1 - c)
			i += 2
		}
	}
	return n
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
