package scanset

import (
	"fmt"
	"unicode/utf8"
)

// A doc is a page as its author typed it: lines, paragraphs and form
// fields in reading order, before anything is measured. typeset lays it out
// at a given resolution; the same doc at 200 and 300 dpi wraps the same way
// up to rounding.
type doc struct {
	name  string // short id, used in messages
	kind  string // "form" or "paragraph"
	body  float64
	elems []elem
}

type style int

const (
	regular style = iota
	bold
	italic
)

type elemKind int

const (
	kCenter elemKind = iota // centred, wrapped when too long
	kRight                  // centred in the right column: date lines
	kLeft                   // flush left, wrapped, not justified
	kPara                   // justified paragraph, first line indented
	kFields                 // labelled form fields on dotted leaders
	kRule                   // a short line under the line before
	kSpace                  // vertical space
	kSign                   // signature block in the right column
)

type elem struct {
	kind   elemKind
	style  style
	size   float64 // points; 0 means the doc's body size
	text   string
	indent float64 // mm, first line of a paragraph
	fields []field
	mm     float64 // kSpace: height; kRule: width (0: as wide as the line above)
	sign   *signBlock
}

// field is one label and its filled-in value. col is where the field starts
// as a fraction of the text width; the first field of a line starts at 0.
type field struct {
	label, value string
	col          float64
}

// signBlock is the signer's titles, an optional italic note, the room where
// the hand signature goes, and the typed name. A seal with ringText is
// stamped over its left part when sealed is set.
type signBlock struct {
	titles   []string
	note     string
	name     string
	signed   bool
	sealed   bool
	ringText string
}

func (d *doc) add(e elem) *doc {
	for _, s := range append([]string{e.text}, fieldTexts(e)...) {
		mustNFC(d.name, s)
	}
	d.elems = append(d.elems, e)
	return d
}

func fieldTexts(e elem) []string {
	var out []string
	for _, f := range e.fields {
		out = append(out, f.label, f.value)
	}
	if e.sign != nil {
		out = append(out, e.sign.titles...)
		out = append(out, e.sign.note, e.sign.name, e.sign.ringText)
	}
	return out
}

// mustNFC rejects combining marks: the font is looked up rune by rune with no
// shaping, so a decomposed "e" + U+0302 + U+0323 would print as a bare e and
// loose marks, and the ground truth must be precomposed (NFC) anyway.
func mustNFC(where, s string) {
	for i, r := range s {
		if r >= 0x0300 && r <= 0x036F || r == utf8.RuneError {
			panic(fmt.Sprintf("%s: %q has a combining mark or bad byte at %d", where, s, i))
		}
	}
}

func (d *doc) center(st style, size float64, text string) *doc {
	return d.add(elem{kind: kCenter, style: st, size: size, text: text})
}

func (d *doc) right(st style, text string) *doc {
	return d.add(elem{kind: kRight, style: st, text: text})
}

func (d *doc) left(st style, text string) *doc {
	return d.add(elem{kind: kLeft, style: st, text: text})
}

func (d *doc) para(text string) *doc {
	return d.add(elem{kind: kPara, text: text, indent: 10})
}

// item is a paragraph that starts flush left: numbered points, "Điều 1.".
func (d *doc) item(text string) *doc {
	return d.add(elem{kind: kPara, text: text})
}

// field adds one line with a single field; a long value wraps onto
// further dotted lines.
func (d *doc) field(label, value string) *doc {
	return d.add(elem{kind: kFields, fields: []field{{label: label, value: value}}})
}

// fieldRow adds one line holding several fields side by side.
func (d *doc) fieldRow(fs ...field) *doc {
	return d.add(elem{kind: kFields, fields: fs})
}

func (d *doc) rule(mm float64) *doc { return d.add(elem{kind: kRule, mm: mm}) }

func (d *doc) space(mm float64) *doc { return d.add(elem{kind: kSpace, mm: mm}) }

func (d *doc) sign(s signBlock) *doc { return d.add(elem{kind: kSign, sign: &s}) }

// motto is the national heading every administrative page opens with.
func (d *doc) motto() *doc {
	return d.center(bold, 13, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").
		center(bold, 14, "Độc lập - Tự do - Hạnh phúc").rule(0)
}

// agency is the issuing body's heading, stacked above the motto.
func (d *doc) agency(lines ...string) *doc {
	for i, l := range lines {
		st := regular
		if i == len(lines)-1 {
			st = bold
		}
		d.center(st, 13, l)
	}
	return d.rule(30)
}
