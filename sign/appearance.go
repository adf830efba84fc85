package sign

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// A visible signature block is a form XObject on the first page showing
// who signed, for which organisation and when. Its text is drawn as the
// outlines of a TrueType font's glyphs, filled as vector paths: PDF/A
// requires every font used for text to be embedded, and embedding a subset
// of a Vietnamese-capable font would need a TrueType subsetter; filled
// paths need no font in the file at all and look the same everywhere. The
// price is that the block's text is not extractable, which the signature
// dictionary's /Name, /Location and /M carry anyway.

// DefaultFontFile is the font whose outlines draw the block; deploy/setup.sh
// installs it (fonts-dejavu-extra / fonts-dejavu-core).
const DefaultFontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// Appearance places a visible signature block on the first page.
type Appearance struct {
	// Rect is the block's lower-left and upper-right corners in the page's
	// default user space (points, origin at the bottom left); the zero
	// value means TopLeft of the page.
	Rect [4]float64
	// FontFile is a TrueType font covering Vietnamese; empty means
	// DefaultFontFile.
	FontFile string
}

// Block size and margin of the default placement: where the rules put the
// digitizing officer's signature, the top left of the first page.
const (
	blockWidth, blockHeight = 220.0, 62.0
	blockMargin             = 28.0
)

// TopLeft is the rectangle of the default block on a page of the given
// size in points, shrunk to fit a page smaller than A5.
func TopLeft(pageW, pageH float64) [4]float64 {
	m := min(blockMargin, pageW/10, pageH/10)
	w := min(blockWidth, pageW-2*m)
	h := min(blockHeight, w*blockHeight/blockWidth, pageH/3)
	return [4]float64{m, pageH - m - h, m + w, pageH - m}
}

var reMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s+([-0-9.]+)\s*\]`)

// pageSize reads the width and height of a page dictionary's /MediaBox.
func pageSize(page []byte) (w, h float64, err error) {
	m := reMediaBox.FindSubmatch(page)
	if m == nil {
		return 0, 0, fmt.Errorf("%w: first page has no inline /MediaBox", ErrUnsupportedPDF)
	}
	var v [4]float64
	for i := range v {
		if v[i], err = strconv.ParseFloat(string(m[i+1]), 64); err != nil {
			return 0, 0, fmt.Errorf("%w: first page /MediaBox %s", ErrUnsupportedPDF, m[0])
		}
	}
	return v[2] - v[0], v[3] - v[1], nil
}

// appearanceLines is what the block says.
func appearanceLines(name, org string, when time.Time) []string {
	lines := []string{"Ký bởi: " + name}
	if org != "" {
		lines = append(lines, org)
	}
	return append(lines, "Thời gian: "+when.Format("02/01/2006 15:04:05 -07:00"))
}

// appearanceStream draws lines into a w×h box: a thin frame and the text,
// each line shrunk to fit the width when it is too long.
func appearanceStream(fontFile string, w, h float64, lines []string) ([]byte, error) {
	data, err := os.ReadFile(fontFile)
	if err != nil {
		return nil, fmt.Errorf("appearance font: %w", err)
	}
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("appearance font %s: %w", fontFile, err)
	}
	var b bytes.Buffer
	// Black in DeviceGray: PDF/A allows it under the document's output intent.
	// A frame, and no ground: the block lies over the scan, and must not
	// hide what the page shows (the national heading, an agency's name).
	fmt.Fprintf(&b, "q 0 G 0.8 w 0.4 0.4 %s %s re S Q\n", num(w-0.8), num(h-0.8))
	b.WriteString("q 0 g\n")
	const pad = 6.0
	size := (h - 2*pad) / float64(len(lines)) / 1.25
	var buf sfnt.Buffer
	upm := fixed.Int26_6(f.UnitsPerEm()) << 6
	// Every line gets the same size, shrunk so that the longest fits.
	glyphLines := make([][]sfnt.GlyphIndex, len(lines))
	for i, line := range lines {
		var width fixed.Int26_6
		for _, r := range norm.NFC.String(line) {
			g, err := f.GlyphIndex(&buf, r)
			if err != nil {
				return nil, fmt.Errorf("appearance font %s: %w", fontFile, err)
			}
			if g == 0 {
				return nil, fmt.Errorf("appearance font %s has no glyph for %q", fontFile, r)
			}
			adv, err := f.GlyphAdvance(&buf, g, upm, 0)
			if err != nil {
				return nil, fmt.Errorf("appearance font %s: %w", fontFile, err)
			}
			glyphLines[i] = append(glyphLines[i], g)
			width += adv
		}
		if lw := float64(width) / 64 / float64(f.UnitsPerEm()) * size; lw > w-2*pad {
			size *= (w - 2*pad) / lw
		}
	}
	lineGap := (h - 2*pad) / float64(len(lines))
	for i, glyphs := range glyphLines {
		s := size
		k := s / float64(f.UnitsPerEm()) / 64 // font units in 26.6 to points
		x := pad
		y := h - pad - lineGap*float64(i+1) + lineGap*0.3
		for _, g := range glyphs {
			segs, err := f.LoadGlyph(&buf, g, upm, nil)
			if err != nil {
				return nil, fmt.Errorf("appearance font %s: %w", fontFile, err)
			}
			// sfnt's y axis points down; PDF's up.
			pt := func(p fixed.Point26_6) string {
				return num(x+float64(p.X)*k) + " " + num(y-float64(p.Y)*k)
			}
			var cur fixed.Point26_6
			for _, sg := range segs {
				switch sg.Op {
				case sfnt.SegmentOpMoveTo:
					fmt.Fprintf(&b, "%s m\n", pt(sg.Args[0]))
					cur = sg.Args[0]
				case sfnt.SegmentOpLineTo:
					fmt.Fprintf(&b, "%s l\n", pt(sg.Args[0]))
					cur = sg.Args[0]
				case sfnt.SegmentOpQuadTo:
					// A quadratic is the cubic with controls 2/3 of the way
					// from each end to the quadratic's control point.
					c, e := sg.Args[0], sg.Args[1]
					c1 := fixed.Point26_6{X: cur.X + (c.X-cur.X)*2/3, Y: cur.Y + (c.Y-cur.Y)*2/3}
					c2 := fixed.Point26_6{X: e.X + (c.X-e.X)*2/3, Y: e.Y + (c.Y-e.Y)*2/3}
					fmt.Fprintf(&b, "%s %s %s c\n", pt(c1), pt(c2), pt(e))
					cur = e
				case sfnt.SegmentOpCubeTo:
					fmt.Fprintf(&b, "%s %s %s c\n", pt(sg.Args[0]), pt(sg.Args[1]), pt(sg.Args[2]))
					cur = sg.Args[2]
				}
			}
			adv, err := f.GlyphAdvance(&buf, g, upm, 0)
			if err != nil {
				return nil, fmt.Errorf("appearance font %s: %w", fontFile, err)
			}
			x += float64(adv) * k
		}
		// Nonzero winding fills TrueType outlines correctly.
		b.WriteString("f\n")
	}
	b.WriteString("Q\n")
	return b.Bytes(), nil
}

// num formats a coordinate with at most 3 decimals and no trailing zeros.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
