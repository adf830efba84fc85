package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"unicode/utf16"
)

// The text layer is drawn with a "glyphless" font: every character code maps
// to one empty glyph with a fixed advance, so the text is invisible whatever
// the render mode and the font program costs a few hundred bytes instead of
// the megabytes a real Vietnamese-capable font would. Extraction works
// through the ToUnicode CMap, not through the glyphs.
//
// The numbers below are shared by the font program, the PDF font
// dictionaries and the text layout, so they agree by construction; PDF/A
// validators compare the /DW and descriptor metrics with the font program.
const (
	glyphlessName    = "SohoaGlyphless"
	glyphlessUPM     = 1000 // unitsPerEm
	glyphlessAdvance = 500  // advance of every glyph, in font units (/DW)
	glyphlessAscent  = 800  // baseline to top of the em box
	glyphlessDescent = -200 // baseline to bottom of the em box
	glyphlessCap     = 700  // cap height reported in OS/2 and the descriptor
	glyphlessXHeight = 500
)

// glyphlessFont is the TrueType program, built once: it is embedded as
// FontFile2 in every document this package writes.
var glyphlessFont = buildGlyphlessFont()

// buildGlyphlessFont assembles a minimal TrueType font with two glyphs:
// 0 = .notdef, a filled em box (so that the glyf table is not empty, which
// some font parsers reject, and the font bounding box is the em box), and
// 1 = an empty glyph. Both advance glyphlessAdvance. The CIDToGIDMap sends
// every character to glyph 1, so .notdef is never shown.
func buildGlyphlessFont() []byte {
	// glyf: .notdef is one clockwise contour around the em box, glyph 1 has
	// no data at all (loca gives it zero length).
	var glyf bytes.Buffer
	put(&glyf, int16(1)) // numberOfContours
	put(&glyf, int16(0), int16(glyphlessDescent), int16(glyphlessAdvance), int16(glyphlessAscent))
	put(&glyf, uint16(3)) // endPtsOfContours[0]: four points
	put(&glyf, uint16(0)) // instructionLength
	glyf.Write([]byte{1, 1, 1, 1})
	// Flags say "on curve" with 16-bit deltas for both axes.
	put(&glyf, int16(0), int16(0), int16(glyphlessAdvance), int16(0))
	put(&glyf, int16(glyphlessDescent), int16(glyphlessAscent-glyphlessDescent), int16(0), int16(glyphlessDescent-glyphlessAscent))
	notdefLen := glyf.Len() // even, as the short loca format requires

	var loca bytes.Buffer
	put(&loca, uint16(0), uint16(notdefLen/2), uint16(notdefLen/2))

	var head bytes.Buffer
	put(&head, uint32(0x00010000), uint32(0x00010000)) // version, fontRevision
	put(&head, uint32(0))                              // checkSumAdjustment, patched below
	put(&head, uint32(0x5F0F3CF5))                     // magicNumber
	put(&head, uint16(0x000B))                         // baseline y=0, lsb x=0, integer ppem
	put(&head, uint16(glyphlessUPM))
	// created and modified: a fixed date (2024-01-01 in seconds since 1904)
	// keeps the output byte-deterministic.
	const fontDate = 3786912000
	put(&head, int64(fontDate), int64(fontDate))
	put(&head, int16(0), int16(glyphlessDescent), int16(glyphlessAdvance), int16(glyphlessAscent))
	put(&head, uint16(0), uint16(8), int16(2)) // macStyle, lowestRecPPEM, fontDirectionHint
	put(&head, int16(0), int16(0))             // indexToLocFormat short, glyphDataFormat

	var hhea bytes.Buffer
	put(&hhea, uint32(0x00010000))
	put(&hhea, int16(glyphlessAscent), int16(glyphlessDescent), int16(0)) // ascender, descender, lineGap
	put(&hhea, uint16(glyphlessAdvance))                                  // advanceWidthMax
	put(&hhea, int16(0), int16(0), int16(glyphlessAdvance))               // minLSB, minRSB, xMaxExtent
	put(&hhea, int16(1), int16(0), int16(0))                              // caret slope rise, run, offset
	put(&hhea, int16(0), int16(0), int16(0), int16(0))                    // reserved
	put(&hhea, int16(0), uint16(2))                                       // metricDataFormat, numberOfHMetrics

	var hmtx bytes.Buffer
	put(&hmtx, uint16(glyphlessAdvance), int16(0), uint16(glyphlessAdvance), int16(0))

	var maxp bytes.Buffer
	put(&maxp, uint32(0x00010000), uint16(2)) // version 1.0 (TrueType outlines), numGlyphs
	put(&maxp, uint16(4), uint16(1))          // maxPoints, maxContours
	put(&maxp, uint16(0), uint16(0))          // maxCompositePoints, maxCompositeContours
	put(&maxp, uint16(2))                     // maxZones
	for range 8 {                             // twilight points .. component depth
		put(&maxp, uint16(0))
	}

	// cmap: the PDF never uses it (CIDToGIDMap decides), but the table is
	// required; map only the space to glyph 1 with one format 4 segment.
	var cmap bytes.Buffer
	put(&cmap, uint16(0), uint16(1))             // version, numTables
	put(&cmap, uint16(3), uint16(1), uint32(12)) // Windows Unicode BMP, offset
	put(&cmap, uint16(4), uint16(32), uint16(0)) // format, length, language
	put(&cmap, uint16(4), uint16(4), uint16(1), uint16(0))
	put(&cmap, uint16(0x0020), uint16(0xFFFF)) // endCode
	put(&cmap, uint16(0))                      // reservedPad
	put(&cmap, uint16(0x0020), uint16(0xFFFF)) // startCode
	put(&cmap, uint16(0xFFE1), uint16(1))      // idDelta: 0x20 + 0xFFE1 = glyph 1 (mod 65536)
	put(&cmap, uint16(0), uint16(0))           // idRangeOffset

	var os2 bytes.Buffer
	put(&os2, uint16(4), int16(glyphlessAdvance), uint16(400), uint16(5)) // version, xAvgCharWidth, weight, width
	put(&os2, uint16(0))                                                  // fsType: installable, embedding allowed
	put(&os2, int16(650), int16(600), int16(0), int16(75))                // subscript x/y size, x/y offset
	put(&os2, int16(650), int16(600), int16(0), int16(350))               // superscript
	put(&os2, int16(50), int16(250))                                      // strikeout size, position
	put(&os2, int16(0))                                                   // sFamilyClass
	os2.Write(make([]byte, 10))                                           // panose: any
	put(&os2, uint32(1), uint32(0), uint32(0), uint32(0))                 // ulUnicodeRange: Basic Latin
	os2.WriteString("NONE")                                               // achVendID
	put(&os2, uint16(0x0040), uint16(0x0020), uint16(0x0020))             // fsSelection REGULAR, first/last char
	put(&os2, int16(glyphlessAscent), int16(glyphlessDescent), int16(0))  // typo ascender, descender, line gap
	put(&os2, uint16(glyphlessAscent), uint16(-glyphlessDescent))         // win ascent, descent
	put(&os2, uint32(1), uint32(0))                                       // ulCodePageRange: Latin 1
	put(&os2, int16(glyphlessXHeight), int16(glyphlessCap))
	put(&os2, uint16(0), uint16(0x0020), uint16(0)) // default char, break char, max context

	var post bytes.Buffer
	put(&post, uint32(0x00030000), int32(0)) // version 3 (no glyph names), italicAngle
	put(&post, int16(-100), int16(50))       // underline position, thickness
	put(&post, uint32(1))                    // isFixedPitch: every glyph has the same advance
	put(&post, uint32(0), uint32(0), uint32(0), uint32(0))

	tables := map[string][]byte{
		"OS/2": os2.Bytes(),
		"cmap": cmap.Bytes(),
		"glyf": glyf.Bytes(),
		"head": head.Bytes(),
		"hhea": hhea.Bytes(),
		"hmtx": hmtx.Bytes(),
		"loca": loca.Bytes(),
		"maxp": maxp.Bytes(),
		"name": nameTable(),
		"post": post.Bytes(),
	}
	return assembleSFNT(tables)
}

// nameTable holds the Windows-platform names; PDF consumers read the font's
// name from /BaseFont, but font parsers expect families and a PostScript
// name to be present.
func nameTable() []byte {
	names := []struct {
		id   uint16
		text string
	}{
		{1, glyphlessName},
		{2, "Regular"},
		{3, glyphlessName + " 1.0"},
		{4, glyphlessName},
		{5, "Version 1.0"},
		{6, glyphlessName},
	}
	var strs bytes.Buffer
	var recs bytes.Buffer
	for _, n := range names {
		u := utf16.Encode([]rune(n.text))
		put(&recs, uint16(3), uint16(1), uint16(0x0409), n.id, uint16(2*len(u)), uint16(strs.Len()))
		put(&strs, u)
	}
	var b bytes.Buffer
	put(&b, uint16(0), uint16(len(names)), uint16(6+recs.Len()))
	b.Write(recs.Bytes())
	b.Write(strs.Bytes())
	return b.Bytes()
}

// assembleSFNT lays the tables out in tag order, each 4-byte aligned, and
// fills in the table checksums and head.checkSumAdjustment.
func assembleSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)

	n := len(tags)
	pow := 1
	log := 0
	for pow*2 <= n {
		pow *= 2
		log++
	}
	var out bytes.Buffer
	put(&out, uint32(0x00010000), uint16(n), uint16(pow*16), uint16(log), uint16(n*16-pow*16))

	offset := 12 + 16*n
	headAt := 0
	var body bytes.Buffer
	for _, tag := range tags {
		data := tables[tag]
		if tag == "head" {
			headAt = offset + body.Len()
		}
		out.WriteString(tag)
		put(&out, sfntChecksum(data), uint32(offset+body.Len()), uint32(len(data)))
		body.Write(data)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(body.Bytes())
	font := out.Bytes()
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-sfntChecksum(font))
	return font
}

// sfntChecksum is the TrueType table checksum: the sum of big-endian uint32
// words, the last one zero-padded.
func sfntChecksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// put appends big-endian values; font tables are built from fixed-size
// integers only, so a failure would be a programming error.
func put(b *bytes.Buffer, vs ...any) {
	for _, v := range vs {
		if err := binary.Write(b, binary.BigEndian, v); err != nil {
			panic(fmt.Sprintf("pdf: glyphless font: %v", err))
		}
	}
}

// cidToGIDMap maps every CID (= BMP code point) to glyph 1, compressed; it is
// the same for every document, so it is built once.
var cidToGIDMap = func() []byte {
	m := make([]byte, 2*65536)
	for i := 1; i < len(m); i += 2 {
		m[i] = 1
	}
	return FlateStream(m)
}()

// codeSet is the set of 2-byte codes a document shows, so that the
// ToUnicode CMap lists exactly those.
type codeSet [65536 / 64]uint64

func (s *codeSet) add(c uint16)      { s[c/64] |= 1 << (c % 64) }
func (s *codeSet) has(c uint16) bool { return s[c/64]&(1<<(c%64)) != 0 }

// toUnicodeCMap maps each code the document shows to the Unicode code point
// of the same value, so copy and search return the OCR text. It lists the
// codes one by one (bfchar) rather than as ranges over the BMP: Ghostscript
// 10.00 misreads bfrange entries whose destination is above U+00FF, and a
// PDF/A conversion through it would turn "ộ" into "÷". A document uses a
// few hundred distinct characters at most, so the list stays small.
func toUnicodeCMap(used *codeSet) []byte {
	var codes []uint16
	for c := range 65536 {
		if used.has(uint16(c)) {
			codes = append(codes, uint16(c))
		}
	}
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for len(codes) > 0 {
		k := min(len(codes), 100) // at most 100 entries per block
		fmt.Fprintf(&b, "%d beginbfchar\n", k)
		for _, c := range codes[:k] {
			fmt.Fprintf(&b, "<%04X> <%04X>\n", c, c)
		}
		b.WriteString("endbfchar\n")
		codes = codes[k:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return FlateStream(b.Bytes())
}

// textCode turns one rune into the 2-byte code (CID) the text layer shows:
// the code point itself, or U+FFFD for what cannot be one: code points
// outside the BMP, controls, and the values PDF/A forbids as ToUnicode
// targets (U+0000, U+FEFF, U+FFFE).
func textCode(r rune) uint16 {
	switch {
	case r > 0xFFFF, r < 0x20, r >= 0x7F && r < 0xA0,
		r >= 0xD800 && r <= 0xDFFF, r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
		return 0xFFFD
	}
	return uint16(r)
}
