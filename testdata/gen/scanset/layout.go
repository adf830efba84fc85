package scanset

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Page geometry of an administrative document (Decree 30/2020 asks for
// about these margins), in millimetres.
const (
	pageWmm      = 210.0
	pageHmm      = 297.0
	marginLeft   = 30.0
	marginRight  = 20.0
	marginTop    = 20.0
	marginBottom = 18.0
)

// sheet is a typeset page before it is scanned: coverage masks for each ink
// and the text that was drawn, line by line.
type sheet struct {
	w, h, dpi int
	ink       *image.Alpha // printed type, rules and dotted leaders
	red       *image.Alpha // seal ink; nil when the page has no seal
	blue      *image.Alpha // signature ink; nil when unsigned
	lines     []string     // ground truth: one entry per printed line
	boxes     []image.Rectangle
}

func pagePixels(dpi int) (w, h int) {
	return int(math.Round(pageWmm * float64(dpi) / 25.4)), int(math.Round(pageHmm * float64(dpi) / 25.4))
}

type typesetter struct {
	fs     *fonts
	d      *doc
	s      *sheet
	rng    *rand.Rand
	x0, x1 float64 // the text column, px
	y      float64 // top of the next line, px
	bottom float64
	last   printed
}

// printed is the line typeset last: rules sit under it.
type printed struct {
	x0, x1, baseline, size float64
}

// typeset lays the doc out on an A4 page at dpi. rng shapes only the
// hand-made marks (seal texture, signature), never the text.
func typeset(fs *fonts, d *doc, dpi int, rng *rand.Rand) (*sheet, error) {
	w, h := pagePixels(dpi)
	s := &sheet{w: w, h: h, dpi: dpi, ink: image.NewAlpha(image.Rect(0, 0, w, h))}
	t := &typesetter{fs: fs, d: d, s: s, rng: rng}
	t.x0, t.x1 = t.mm(marginLeft), float64(w)-t.mm(marginRight)
	t.y, t.bottom = t.mm(marginTop), float64(h)-t.mm(marginBottom)
	for i, e := range d.elems {
		if err := t.elem(e); err != nil {
			return nil, fmt.Errorf("typeset %s element %d: %w", d.name, i, err)
		}
	}
	return s, nil
}

func (t *typesetter) mm(v float64) float64 { return v * float64(t.s.dpi) / 25.4 }
func (t *typesetter) pt(v float64) float64 { return v * float64(t.s.dpi) / 72 }

func (t *typesetter) width() float64 { return t.x1 - t.x0 }

func (t *typesetter) face(st style, size float64) font.Face {
	return t.fs.face(st, size, t.s.dpi)
}

func measure(f font.Face, s string) float64 {
	return float64(font.MeasureString(f, s)) / 64
}

// nextLine reserves a line of the given leading and returns its baseline.
func (t *typesetter) nextLine(size, leading float64) (float64, error) {
	h := t.pt(size * leading)
	if t.y+h > t.bottom+t.pt(size)*0.3 {
		return 0, fmt.Errorf("page overflows at %.0f of %.0f px", t.y+h, t.bottom)
	}
	baseline := t.y + h*0.5 + t.pt(size)*0.32
	t.y += h
	return baseline, nil
}

func (t *typesetter) draw(f font.Face, x, baseline float64, s string) {
	d := font.Drawer{Dst: t.s.ink, Src: image.Opaque, Face: f,
		Dot: fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(baseline * 64))}}
	d.DrawString(s)
}

// emit records a printed line for the ground truth and the clip check.
func (t *typesetter) emit(text string, x0, x1, baseline, size float64) {
	sz := t.pt(size)
	t.s.lines = append(t.s.lines, text)
	t.s.boxes = append(t.s.boxes, image.Rect(int(x0), int(baseline-sz*0.95), int(x1+1), int(baseline+sz*0.25)))
	t.last = printed{x0, x1, baseline, size}
}

func (t *typesetter) check(st style, s string) error {
	if r := t.fs.missing(st, s); r != 0 {
		return fmt.Errorf("font has no glyph for %q in %q", r, s)
	}
	return nil
}

func (t *typesetter) elem(e elem) error {
	size := e.size
	if size == 0 {
		size = t.d.body
	}
	if err := t.check(e.style, e.text); err != nil {
		return err
	}
	switch e.kind {
	case kCenter:
		f := t.face(e.style, size)
		for _, words := range wrap(f, strings.Fields(e.text), t.width(), t.width()) {
			line := strings.Join(words, " ")
			w := measure(f, line)
			b, err := t.nextLine(size, 1.4)
			if err != nil {
				return err
			}
			x := (t.x0+t.x1)/2 - w/2
			t.draw(f, x, b, line)
			t.emit(line, x, x+w, b, size)
		}
	case kRight:
		return t.rightColumn(e.style, size, []string{e.text})
	case kLeft:
		f := t.face(e.style, size)
		for _, words := range wrap(f, strings.Fields(e.text), t.width(), t.width()) {
			line := strings.Join(words, " ")
			b, err := t.nextLine(size, 1.4)
			if err != nil {
				return err
			}
			t.draw(f, t.x0, b, line)
			t.emit(line, t.x0, t.x0+measure(f, line), b, size)
		}
	case kPara:
		if err := t.paragraph(size, e.indent, e.text); err != nil {
			return err
		}
		t.y += t.pt(4)
	case kFields:
		return t.fieldLine(size, e.fields)
	case kRule:
		w := t.last.x1 - t.last.x0
		if e.mm > 0 {
			w = t.mm(e.mm)
		}
		cx := (t.last.x0 + t.last.x1) / 2
		y := t.last.baseline + t.pt(t.last.size)*0.38
		fillRect(t.s.ink, cx-w/2, y, cx+w/2, y+math.Max(1.2, t.mm(0.22)))
		t.y += t.mm(2.5)
	case kSpace:
		t.y += t.mm(e.mm)
	case kSign:
		return t.signature(size, e.sign)
	}
	return nil
}

// wrap breaks words into lines no wider than width (first: the first line).
func wrap(f font.Face, words []string, first, width float64) [][]string {
	space := measure(f, " ")
	var lines [][]string
	var cur []string
	curW, limit := 0.0, first
	for _, w := range words {
		ww := measure(f, w)
		if len(cur) > 0 && curW+space+ww > limit {
			lines = append(lines, cur)
			cur, curW, limit = nil, 0, width
		}
		if len(cur) > 0 {
			curW += space
		}
		cur = append(cur, w)
		curW += ww
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

// paragraph sets justified lines, the last one flush left, as official
// documents are typed.
func (t *typesetter) paragraph(size, indentMM float64, text string) error {
	f := t.face(regular, size)
	indent := t.mm(indentMM)
	lines := wrap(f, strings.Fields(text), t.width()-indent, t.width())
	space := measure(f, " ")
	for i, words := range lines {
		b, err := t.nextLine(size, 1.45)
		if err != nil {
			return err
		}
		x := t.x0
		if i == 0 {
			x += indent
		}
		start := x
		gap := space
		if i < len(lines)-1 && len(words) > 1 {
			total := 0.0
			for _, w := range words {
				total += measure(f, w)
			}
			gap = (t.x1 - x - total) / float64(len(words)-1)
		}
		for _, w := range words {
			t.draw(f, x, b, w)
			x += measure(f, w) + gap
		}
		t.emit(strings.Join(words, " "), start, x-gap, b, size)
	}
	return nil
}

// fieldLine sets labelled fields with the dotted leaders a printed form has
// under each value. A lone field whose value is too long goes on over
// further dotted lines.
func (t *typesetter) fieldLine(size float64, fs []field) error {
	f := t.face(regular, size)
	space := measure(f, " ")
	for _, fl := range fs {
		if err := t.check(regular, fl.label+fl.value); err != nil {
			return err
		}
	}
	if len(fs) == 1 {
		fl := fs[0]
		lw := measure(f, fl.label)
		lines := wrap(f, strings.Fields(fl.value), t.width()-lw-space, t.width())
		if len(lines) == 0 {
			lines = [][]string{nil}
		}
		for i, words := range lines {
			b, err := t.nextLine(size, 1.55)
			if err != nil {
				return err
			}
			x, text := t.x0, strings.Join(words, " ")
			if i == 0 {
				t.draw(f, x, b, fl.label)
				x += lw + space*0.5
				if text != "" {
					text = fl.label + " " + text
				} else {
					text = fl.label
				}
			}
			t.dots(x, t.x1, b, size)
			t.draw(f, x+space*0.5, b, strings.Join(words, " "))
			t.emit(text, t.x0, math.Max(x+space*0.5+measure(f, strings.Join(words, " ")), x), b, size)
		}
		return nil
	}
	b, err := t.nextLine(size, 1.55)
	if err != nil {
		return err
	}
	var parts []string
	end := t.x0
	for i, fl := range fs {
		x := t.x0 + fl.col*t.width()
		if i == 0 {
			x = t.x0
		}
		stop := t.x1
		if i+1 < len(fs) {
			stop = t.x0 + fs[i+1].col*t.width() - space
		}
		lw := measure(f, fl.label)
		vx := x + lw + space
		if vx+measure(f, fl.value) > stop {
			return fmt.Errorf("field %q %q does not fit its column: ends at %.0f mm, column ends at %.0f mm", fl.label, fl.value, (vx+measure(f, fl.value)-t.x0)*25.4/float64(t.s.dpi), (stop-t.x0)*25.4/float64(t.s.dpi))
		}
		t.draw(f, x, b, fl.label)
		t.dots(x+lw+space*0.5, stop, b, size)
		t.draw(f, vx, b, fl.value)
		part := fl.label
		if fl.value != "" {
			part += " " + fl.value
		}
		parts = append(parts, part)
		end = vx + measure(f, fl.value)
	}
	t.emit(strings.Join(parts, " "), t.x0, end, b, size)
	return nil
}

// dots draws the dotted leader of a pre-printed form, which the values
// are typed over: a row of small dots at the depth of the descenders.
func (t *typesetter) dots(x0, x1, baseline, size float64) {
	step := t.pt(size) * 0.3
	r := math.Max(0.8, t.mm(0.14))
	y := baseline + t.pt(size)*0.18
	for x := x0 + step/2; x < x1-r; x += step {
		fillDisc(t.s.ink, x, y, r, 1)
	}
}

// rightColumn centres lines at the right column's axis, where date lines
// and signature blocks stand.
func (t *typesetter) rightColumn(st style, size float64, lines []string) error {
	f := t.face(st, size)
	for _, l := range lines {
		if err := t.check(st, l); err != nil {
			return err
		}
		w := measure(f, l)
		cx := t.x0 + 0.7*t.width()
		if cx+w/2 > t.x1 {
			cx = t.x1 - w/2
		}
		b, err := t.nextLine(size, 1.4)
		if err != nil {
			return err
		}
		t.draw(f, cx-w/2, b, l)
		t.emit(l, cx-w/2, cx+w/2, b, size)
	}
	return nil
}

func (t *typesetter) signature(size float64, sb *signBlock) error {
	t.y += t.mm(2)
	top := t.y
	if err := t.rightColumn(bold, size, sb.titles); err != nil {
		return err
	}
	if sb.note != "" {
		if err := t.rightColumn(italic, size-1, []string{sb.note}); err != nil {
			return err
		}
	}
	room := t.y
	t.y += t.mm(21)
	if err := t.rightColumn(bold, size, []string{sb.name}); err != nil {
		return err
	}
	cx := t.x0 + 0.7*t.width()
	if sb.sealed {
		if t.s.red == nil {
			t.s.red = image.NewAlpha(t.s.ink.Rect)
		}
		drawSeal(t.fs, t.s.red, t.rng, cx-t.mm(15), top+t.mm(17), t.mm(17.5), sb.ringText, t.s.dpi)
	}
	if sb.signed {
		if t.s.blue == nil {
			t.s.blue = image.NewAlpha(t.s.ink.Rect)
		}
		drawSignature(t.s.blue, t.rng, cx-t.mm(20), room-t.mm(1), cx+t.mm(20), t.y-t.pt(size)*0.6, t.s.dpi)
	}
	return nil
}
