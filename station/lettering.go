package station

import (
	"image"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"golang.org/x/text/unicode/norm"
)

// writing draws the separator sheet's text in Go Bold, which
// golang.org/x/image embeds, so that the agent stays a single file with
// no font to install. Go Bold has â, ă, ê, ô and đ but none of Vietnamese's tone marks,
// nor the horn of ơ and ư: those are drawn here as strokes over the base
// letter, which reads plainly at the sizes a sheet uses.
type writing struct {
	dst  *image.Gray
	font *opentype.Font
}

func newWriting(dst *image.Gray) writing {
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		panic("station: the embedded Go Bold font does not parse: " + err.Error())
	}
	return writing{dst: dst, font: f}
}

// glyph is a letter as drawn: a rune the font has, and the marks drawn
// over or under it.
type glyph struct {
	r     rune
	marks []rune
}

// spell splits text into the font's letters and the marks to draw.
func (w writing) spell(face font.Face, text string) []glyph {
	var out []glyph
	for _, r := range norm.NFC.String(text) {
		if _, ok := face.GlyphAdvance(r); ok {
			out = append(out, glyph{r: r})
			continue
		}
		d := []rune(norm.NFD.String(string(r)))
		g := glyph{r: d[0]}
		for _, m := range d[1:] {
			// A circumflex or breve the font has precomposed.
			if c := []rune(norm.NFC.String(string([]rune{g.r, m}))); len(c) == 1 && (m == 0x302 || m == 0x306) {
				if _, ok := face.GlyphAdvance(c[0]); ok {
					g.r = c[0]
					continue
				}
			}
			g.marks = append(g.marks, m)
		}
		out = append(out, g)
	}
	return out
}

// centered draws text centred on the page, its baseline at y pixels, at
// size points (of sheetDPI), shrinking it to fit the page's width.
func (w writing) centered(text string, size float64, y int) {
	maxWidth := fixed.I(w.dst.Bounds().Dx() - 300)
	for {
		face, err := opentype.NewFace(w.font, &opentype.FaceOptions{Size: size, DPI: sheetDPI, Hinting: font.HintingNone})
		if err != nil {
			panic("station: Go Bold face: " + err.Error())
		}
		glyphs := w.spell(face, text)
		var width fixed.Int26_6
		for _, g := range glyphs {
			a, _ := face.GlyphAdvance(g.r)
			width += a
		}
		if width > maxWidth && size > 8 {
			size *= 0.9
			continue
		}
		d := font.Drawer{Dst: w.dst, Src: image.Black, Face: face,
			Dot: fixed.Point26_6{X: (fixed.I(w.dst.Bounds().Dx()) - width) / 2, Y: fixed.I(y)}}
		// The marks are drawn in one band around the line.
		em := size * sheetDPI / 72
		band := image.Rect(0, y-int(em*1.6), w.dst.Bounds().Dx(), y+int(em*0.5)).Intersect(w.dst.Bounds())
		r := vector.NewRasterizer(band.Dx(), band.Dy())
		for _, g := range glyphs {
			at := d.Dot
			d.DrawString(string(g.r))
			if len(g.marks) > 0 {
				bounds, _, _ := face.GlyphBounds(g.r)
				at.Y -= fixed.I(band.Min.Y)
				marks(r, g.marks, at, bounds, em)
			}
		}
		r.Draw(w.dst, band, image.Black, image.Point{})
		return
	}
}

// marks adds to r the tone marks and the horn of the glyph drawn at dot
// with bounds (relative to dot); em is the font size in pixels.
func marks(r *vector.Rasterizer, marks []rune, dot fixed.Point26_6, bounds fixed.Rectangle26_6, em float64) {
	fx := func(v fixed.Int26_6) float32 { return float32(v) / 64 }
	left, right := fx(dot.X+bounds.Min.X), fx(dot.X+bounds.Max.X)
	top, bottom := fx(dot.Y+bounds.Min.Y), fx(dot.Y)
	cx := (left + right) / 2
	u := float32(em) * 0.07 // stroke width
	h := float32(em) * 0.16 // height of a mark
	above := top - u*0.8    // the next mark's foot, stacking upwards
	for _, m := range marks {
		switch m {
		case 0x301: // sắc
			stroke(r, cx-h*0.3, above, cx+h*0.4, above-h, u)
			above -= h + u
		case 0x300: // huyền
			stroke(r, cx+h*0.3, above, cx-h*0.4, above-h, u)
			above -= h + u
		case 0x303: // ngã
			y := above - h*0.4
			stroke(r, cx-h*0.8, y+h*0.2, cx-h*0.25, y-h*0.3, u)
			stroke(r, cx-h*0.25, y-h*0.3, cx+h*0.25, y+h*0.2, u)
			stroke(r, cx+h*0.25, y+h*0.2, cx+h*0.8, y-h*0.3, u)
			above -= h + u
		case 0x309: // hỏi: a small question mark without its dot
			y := above - h*1.1
			stroke(r, cx-h*0.35, y+h*0.15, cx, y, u)
			stroke(r, cx, y, cx+h*0.35, y+h*0.3, u)
			stroke(r, cx+h*0.35, y+h*0.3, cx, y+h*0.65, u)
			stroke(r, cx, y+h*0.65, cx, y+h*1.05, u)
			above -= h*1.1 + u
		case 0x323: // nặng
			d := u * 1.3
			square(r, cx-d/2, bottom+u, d)
		case 0x31B: // the horn of ơ and ư
			y := top + (bottom-top)*0.15
			stroke(r, right-u*0.8, y+u*0.5, right+h*0.5, y-h*0.6, u)
		}
	}
}

// stroke adds a straight stroke of width u from (x0, y0) to (x1, y1).
func stroke(r *vector.Rasterizer, x0, y0, x1, y1, u float32) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l == 0 {
		return
	}
	nx, ny := -dy/l*u/2, dx/l*u/2
	r.MoveTo(x0+nx, y0+ny)
	r.LineTo(x1+nx, y1+ny)
	r.LineTo(x1-nx, y1-ny)
	r.LineTo(x0-nx, y0-ny)
	r.ClosePath()
}

func square(r *vector.Rasterizer, x, y, d float32) {
	r.MoveTo(x, y)
	r.LineTo(x+d, y)
	r.LineTo(x+d, y+d)
	r.LineTo(x, y+d)
	r.ClosePath()
}
