package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"regexp"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// TestGlyphlessFontParses reads the font program back with an independent
// TrueType parser and checks the metrics the PDF font dictionaries state:
// PDF/A validators compare the two.
func TestGlyphlessFontParses(t *testing.T) {
	f, err := sfnt.Parse(glyphlessFont)
	if err != nil {
		t.Fatalf("sfnt.Parse: %v", err)
	}
	var buf sfnt.Buffer
	if n := f.NumGlyphs(); n != 2 {
		t.Errorf("%d glyphs, want 2", n)
	}
	if u := f.UnitsPerEm(); u != glyphlessUPM {
		t.Errorf("unitsPerEm %d, want %d", u, glyphlessUPM)
	}
	ppem := fixed.I(glyphlessUPM) // one pixel per font unit
	for gid := range sfnt.GlyphIndex(2) {
		adv, err := f.GlyphAdvance(&buf, gid, ppem, font.HintingNone)
		if err != nil {
			t.Fatal(err)
		}
		if adv != fixed.I(glyphlessAdvance) {
			t.Errorf("glyph %d advance %v, want %d (/DW)", gid, adv, glyphlessAdvance)
		}
	}
	segs, err := f.LoadGlyph(&buf, 1, ppem, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 0 {
		t.Errorf("glyph 1 has %d outline segments, want none", len(segs))
	}
	if segs, err := f.LoadGlyph(&buf, 0, ppem, nil); err != nil || len(segs) == 0 {
		t.Errorf(".notdef outline: %d segments, %v", len(segs), err)
	}
	m, err := f.Metrics(&buf, ppem, font.HintingNone)
	if err != nil {
		t.Fatal(err)
	}
	if m.Ascent != fixed.I(glyphlessAscent) || m.Descent != fixed.I(-glyphlessDescent) {
		t.Errorf("ascent %v descent %v, want %d %d", m.Ascent, m.Descent, glyphlessAscent, -glyphlessDescent)
	}
	bounds, err := f.Bounds(&buf, ppem, font.HintingNone)
	if err != nil {
		t.Fatal(err)
	}
	// sfnt's y axis points down.
	want := fixed.R(0, -glyphlessAscent, glyphlessAdvance, -glyphlessDescent)
	if bounds != want {
		t.Errorf("font bounds %v, want %v (/FontBBox)", bounds, want)
	}
	if name, err := f.Name(&buf, sfnt.NameIDPostScript); err != nil || name != glyphlessName {
		t.Errorf("PostScript name %q, %v; want %q (/BaseFont)", name, err, glyphlessName)
	}
}

// TestGlyphlessFontChecksums verifies every table checksum and the
// whole-file adjustment in head, which sfnt.Parse does not check but
// strict font validators do.
func TestGlyphlessFontChecksums(t *testing.T) {
	b := glyphlessFont
	n := int(binary.BigEndian.Uint16(b[4:]))
	prevTag := ""
	for i := range n {
		rec := b[12+16*i:]
		tag := string(rec[:4])
		sum := binary.BigEndian.Uint32(rec[4:])
		off := binary.BigEndian.Uint32(rec[8:])
		length := binary.BigEndian.Uint32(rec[12:])
		if tag <= prevTag {
			t.Errorf("table %q out of order after %q", tag, prevTag)
		}
		prevTag = tag
		if off%4 != 0 {
			t.Errorf("table %q at unaligned offset %d", tag, off)
		}
		data := bytes.Clone(b[off : off+length])
		if tag == "head" {
			binary.BigEndian.PutUint32(data[8:], 0)
		}
		if got := sfntChecksum(data); got != sum {
			t.Errorf("table %q checksum %08X, directory says %08X", tag, got, sum)
		}
	}
	if n != 10 {
		t.Errorf("%d tables, want the 10 a TrueType font for PDF needs", n)
	}
	if sum := sfntChecksum(b); sum != 0xB1B0AFBA {
		t.Errorf("whole-font checksum %08X, want B1B0AFBA", sum)
	}
}

// TestCIDToGIDMap checks that every CID maps to the empty glyph, so no text
// ever refers to .notdef (forbidden in PDF/A).
func TestCIDToGIDMap(t *testing.T) {
	zr, err := zlib.NewReader(bytes.NewReader(cidToGIDMap))
	if err != nil {
		t.Fatal(err)
	}
	m, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2*65536 {
		t.Fatalf("map has %d bytes, want %d", len(m), 2*65536)
	}
	for cid := range 65536 {
		if gid := binary.BigEndian.Uint16(m[2*cid:]); gid != 1 {
			t.Fatalf("CID %04X maps to glyph %d", cid, gid)
		}
	}
}

func TestToUnicodeCMap(t *testing.T) {
	var used codeSet
	for _, r := range "Việt Nam\uFFFD" {
		used.add(textCode(r))
	}
	zr, err := zlib.NewReader(bytes.NewReader(toUnicodeCMap(&used)))
	if err != nil {
		t.Fatal(err)
	}
	cmap, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	_, chars, ok := bytes.Cut(cmap, []byte("beginbfchar"))
	if !ok {
		t.Fatalf("no bfchar section:\n%s", cmap)
	}
	got := regexp.MustCompile(`<([0-9A-F]{4})> <([0-9A-F]{4})>`).FindAllSubmatch(chars, -1)
	want := []string{"0020", "004E", "0056", "0061", "0069", "006D", "0074", "1EC7", "FFFD"}
	if len(got) != len(want) {
		t.Fatalf("cmap maps %d codes, want %d:\n%s", len(got), len(want), cmap)
	}
	for i, g := range got {
		if string(g[1]) != want[i] || string(g[2]) != want[i] {
			t.Errorf("entry %d maps <%s> to <%s>, want <%s> to itself", i, g[1], g[2], want[i])
		}
	}
	for _, r := range []rune{0, 0x1F, 0x85, 0xFEFF, 0xFFFE, 0xFFFF, 0x1F600} {
		if c := textCode(r); c != 0xFFFD {
			t.Errorf("textCode(%U) = %04X, want FFFD", r, c)
		}
	}
}
