package scanset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
)

// encodeJPEG writes a baseline JPEG with a JFIF header that records the
// scan's resolution in dots per inch; image/jpeg writes no APP0 of its own.
func encodeJPEG(img image.Image, quality, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	b := buf.Bytes()
	if b[2] == 0xFF && b[3] == 0xE0 {
		n := int(b[4])<<8 | int(b[5])
		b = append(b[:2:2], b[4+n:]...)
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1,
		byte(dpi >> 8), byte(dpi), byte(dpi >> 8), byte(dpi), 0, 0}
	out := make([]byte, 0, len(b)+len(app0))
	out = append(out, b[:2]...)
	out = append(out, app0...)
	return append(out, b[2:]...), nil
}

// encodePNG writes a PNG with a pHYs chunk giving the resolution (PNG
// counts pixels per metre); image/png writes none.
func encodePNG(img image.Image, dpi int, level png.CompressionLevel) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	b := buf.Bytes()
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	ppm := uint32(float64(dpi)/0.0254 + 0.5)
	data := make([]byte, 9)
	binary.BigEndian.PutUint32(data[0:], ppm)
	binary.BigEndian.PutUint32(data[4:], ppm)
	data[8] = 1 // unit: metre
	out := make([]byte, 0, len(b)+21)
	out = append(out, b[:afterIHDR]...)
	out = appendPNGChunk(out, "pHYs", data)
	return append(out, b[afterIHDR:]...), nil
}

func appendPNGChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// TIFF field types used here.
const (
	tiffASCII    = 2
	tiffShort    = 3
	tiffLong     = 4
	tiffRational = 5
)

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // little-endian values; inlined when 4 bytes or fewer
}

func tiffShorts(tag uint16, vs ...uint16) tiffEntry {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return tiffEntry{tag, tiffShort, uint32(len(vs)), b}
}

func tiffLongs(tag uint16, vs ...uint32) tiffEntry {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return tiffEntry{tag, tiffLong, uint32(len(vs)), b}
}

// encodeTIFF writes 8-bit grey pages as one multi-page TIFF the way
// document scanners do: one IFD per page, chained in page order, each page
// in Deflate-compressed strips (no predictor: on scanned text, differencing
// rows makes them larger) and its resolution in dots per inch. x/image/tiff writes single pages
// only.
func encodeTIFF(pages []*image.Gray, dpi int) ([]byte, error) {
	const rowsPerStrip = 64
	b := []byte{'I', 'I', 42, 0, 0, 0, 0, 0}
	link := 4 // where the offset of the next IFD goes
	for n, img := range pages {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		var offsets, counts []uint32
		for y0 := 0; y0 < h; y0 += rowsPerStrip {
			var strip bytes.Buffer
			zw, err := zlib.NewWriterLevel(&strip, zlib.BestCompression)
			if err != nil {
				return nil, err
			}
			for y := y0; y < min(y0+rowsPerStrip, h); y++ {
				if _, err := zw.Write(img.Pix[y*img.Stride : y*img.Stride+w]); err != nil {
					return nil, err
				}
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			b = pad(b)
			offsets = append(offsets, uint32(len(b)))
			counts = append(counts, uint32(strip.Len()))
			b = append(b, strip.Bytes()...)
		}
		res := make([]byte, 8)
		binary.LittleEndian.PutUint32(res, uint32(dpi))
		binary.LittleEndian.PutUint32(res[4:], 1)
		software := []byte("sohoa testdata/gen\x00")
		entries := []tiffEntry{
			tiffLongs(254, 2), // NewSubfileType: one page of a multi-page document
			tiffLongs(256, uint32(w)),
			tiffLongs(257, uint32(h)),
			tiffShorts(258, 8),
			tiffShorts(259, 8), // Compression: Deflate (zlib)
			tiffShorts(262, 1), // PhotometricInterpretation: BlackIsZero
			tiffLongs(273, offsets...),
			tiffShorts(277, 1),
			tiffLongs(278, rowsPerStrip),
			tiffLongs(279, counts...),
			{282, tiffRational, 1, res},
			{283, tiffRational, 1, res},
			tiffShorts(284, 1),
			tiffShorts(296, 2), // ResolutionUnit: inch
			tiffShorts(297, uint16(n), uint16(len(pages))),
			{305, tiffASCII, uint32(len(software)), software},
		}
		// Values too long for an entry go before the IFD.
		valueAt := make([]uint32, len(entries))
		for i, e := range entries {
			if len(e.data) > 4 {
				b = pad(b)
				valueAt[i] = uint32(len(b))
				b = append(b, e.data...)
			}
		}
		b = pad(b)
		binary.LittleEndian.PutUint32(b[link:], uint32(len(b)))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
		for i, e := range entries {
			b = binary.LittleEndian.AppendUint16(b, e.tag)
			b = binary.LittleEndian.AppendUint16(b, e.typ)
			b = binary.LittleEndian.AppendUint32(b, e.count)
			if len(e.data) > 4 {
				b = binary.LittleEndian.AppendUint32(b, valueAt[i])
			} else {
				var v [4]byte
				copy(v[:], e.data)
				b = append(b, v[:]...)
			}
		}
		link = len(b)
		b = append(b, 0, 0, 0, 0) // next IFD: none yet
	}
	return b, nil
}

// pad keeps TIFF offsets on word boundaries, as the format asks.
func pad(b []byte) []byte {
	if len(b)%2 == 1 {
		return append(b, 0)
	}
	return b
}

// tiffIFDOffsets walks a little-endian TIFF's IFD chain: one offset per page.
func tiffIFDOffsets(b []byte) ([]uint32, error) {
	if len(b) < 8 || string(b[:4]) != "II*\x00" {
		return nil, fmt.Errorf("not a little-endian TIFF")
	}
	var offs []uint32
	for off := binary.LittleEndian.Uint32(b[4:]); off != 0; {
		if int(off)+2 > len(b) || len(offs) > 1000 {
			return nil, fmt.Errorf("IFD offset %d out of range", off)
		}
		offs = append(offs, off)
		n := int(binary.LittleEndian.Uint16(b[off:]))
		next := int(off) + 2 + 12*n
		if next+4 > len(b) {
			return nil, fmt.Errorf("IFD at %d runs past the end", off)
		}
		off = binary.LittleEndian.Uint32(b[next:])
	}
	return offs, nil
}

// pdfPage is one scanned page for an image-only PDF: a JPEG file as is.
type pdfPage struct {
	jpeg []byte
	w, h int
	gray bool
}

// encodePDF writes an image-only PDF as a scanner does: each page one JPEG
// (DCTDecode) image drawn over the whole page, no text. wPt and hPt are the
// page size in points.
func encodePDF(pages []pdfPage, wPt, hPt float64, created string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	var offsets []int
	obj := func(body func()) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n", len(offsets))
		body()
		b.WriteString("\nendobj\n")
	}
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 4+3*i)
	}
	obj(func() { b.WriteString("<< /Type /Catalog /Pages 2 0 R >>") })
	obj(func() { fmt.Fprintf(&b, "<< /Type /Pages /Kids [ %s] /Count %d >>", kids, len(pages)) })
	obj(func() {
		fmt.Fprintf(&b, "<< /Producer (sohoa testdata/gen) /Creator (Desk scanner) /CreationDate (%s) >>", created)
	})
	for i, p := range pages {
		content, im := 5+3*i, 6+3*i // the page itself is 4+3*i
		cs, proc := "/DeviceRGB", "/ImageC"
		if p.gray {
			cs, proc = "/DeviceGray", "/ImageB"
		}
		draw := fmt.Sprintf("q\n%.2f 0 0 %.2f 0 0 cm\n/Im0 Do\nQ\n", wPt, hPt)
		obj(func() {
			fmt.Fprintf(&b, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /ProcSet [/PDF %s] /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>",
				wPt, hPt, proc, im, content)
		})
		obj(func() { fmt.Fprintf(&b, "<< /Length %d >>\nstream\n%sendstream", len(draw), draw) })
		obj(func() {
			fmt.Fprintf(&b, "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n",
				p.w, p.h, cs, len(p.jpeg))
			b.Write(p.jpeg)
			b.WriteString("\nendstream")
		})
	}
	id := fmt.Sprintf("%08x%08x", crc32.ChecksumIEEE(b.Bytes()), crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli)))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(offsets)+1, id, id, xref)
	return b.Bytes()
}

// encodeJPEGNoDPI writes a JPEG that records no resolution at all, as a
// phone's or a screenshot tool's export may: image/jpeg writes no JFIF
// APP0 and no EXIF, so a reader finds no density anywhere.
func encodeJPEGNoDPI(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

// encodePNGNoDPI writes a PNG without a pHYs chunk: a screenshot.
func encodePNGNoDPI(img image.Image, level png.CompressionLevel) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}
