package extract

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a row, as read and as labels are compared.
type token struct {
	text  string
	key   string
	colon bool // ends with ':' (or the ';' OCR reads for it): a label ends here
	box   [4]int
	conf  float64
}

// row is one printed line: the words OCR found on it, left to right. OCR
// splits a form's line into several when fields stand apart (a label at
// the left margin, the next field at mid-page), and reads those apart in
// column order; rows puts them back together by where they lie.
type row struct {
	page  int
	toks  []token
	box   [4]int
	taken []bool // words already read as the value of a field above
}

func (r *row) height() int { return r.box[3] - r.box[1] }

// rows builds a page's rows from its words.
func rows(words []Word, page int) []*row {
	byLine := map[int]*row{}
	var order []int
	letter := letterSize(words)
	for _, w := range words {
		if strings.TrimSpace(w.Text) == "" || speck(w, letter) {
			continue
		}
		r := byLine[w.Line]
		if r == nil {
			r = &row{page: page, box: w.Box}
			byLine[w.Line] = r
			order = append(order, w.Line)
		}
		r.box = union(r.box, w.Box)
		r.toks = append(r.toks, split(w)...)
	}
	var lines []*row
	for _, l := range order {
		lines = append(lines, byLine[l])
	}
	sort.SliceStable(lines, func(i, j int) bool {
		return lines[i].box[1]+lines[i].box[3] < lines[j].box[1]+lines[j].box[3]
	})
	var out []*row
	for _, l := range lines {
		merged := false
		for _, o := range out[max(0, len(out)-3):] {
			if sameRow(o, l) {
				o.toks = append(o.toks, l.toks...)
				o.box = union(o.box, l.box)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, l)
		}
	}
	for _, r := range out {
		sort.SliceStable(r.toks, func(i, j int) bool { return r.toks[i].box[0] < r.toks[j].box[0] })
		r.taken = make([]bool, len(r.toks))
	}
	return out
}

// letterSize is the page's usual height of a word: the median height of
// the words that hold a letter or a digit.
func letterSize(words []Word) int {
	var hs []int
	for _, w := range words {
		if hasAlnum(w.Text) {
			hs = append(hs, w.Box[3]-w.Box[1])
		}
	}
	if len(hs) == 0 {
		return 0
	}
	sort.Ints(hs)
	return hs[len(hs)/2]
}

// speck: a word whose box is too small to hold any letter, a third of the
// page's word height in both directions, whatever OCR read in it. Dust
// and the dots of a seal's ring come back as letters ("C", "T", "l") or
// as the first letter of the word beside them, a few pixels wide.
func speck(w Word, letter int) bool {
	if !hasAlnum(w.Text) {
		return false // punctuation is small; meaningful and clean see to it
	}
	return 3*max(w.Box[2]-w.Box[0], w.Box[3]-w.Box[1]) < letter
}

func hasAlnum(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// sameRow: two OCR lines side by side, overlapping in height by more than
// half the shorter one and not in width.
func sameRow(a, b *row) bool {
	overlap := min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
	if overlap*2 < min(a.height(), b.height()) {
		return false
	}
	return a.box[2] <= b.box[0] || b.box[2] <= a.box[0]
}

func union(a, b [4]int) [4]int {
	return [4]int{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// split cuts a word at a colon with text on both sides ("tên:NGUYỄN",
// where the value was typed against the label), sharing its box by letters.
func split(w Word) []token {
	text := strings.TrimSpace(w.Text)
	i := strings.IndexAny(text, ":;")
	if i > 0 && i < len(text)-1 {
		n := utf8.RuneCountInString(text)
		k := utf8.RuneCountInString(text[:i+1])
		x := w.Box[0] + (w.Box[2]-w.Box[0])*k/n
		a, b := w, w
		a.Text, a.Box[2] = text[:i+1], x
		b.Text, b.Box[0] = text[i+1:], x
		return append(split(a), split(b)...)
	}
	if k := gluedValue(text); k > 0 {
		n := utf8.RuneCountInString(text)
		x := w.Box[0] + (w.Box[2]-w.Box[0])*utf8.RuneCountInString(text[:k])/n
		a, b := w, w
		a.Box[2], b.Box[0] = x, x
		b.Text = text[k:]
		return append([]token{{text: text[:k], key: key(text[:k]), colon: true, box: a.Box, conf: w.Confidence}}, split(b)...)
	}
	return []token{{text: text, key: key(text), colon: strings.HasSuffix(text, ":") || strings.HasSuffix(text, ";"),
		box: w.Box, conf: w.Confidence}}
}

// gluedValue is where a number starts in a word of letters run into it,
// a label's last word and its value where OCR lost the space and read
// the colon as a letter or not at all ("sinhz1997", "CCCD001084012345"):
// three letters or more, one of them no digit's look-alike, then four
// digits or more. Zero when it is none: codes of a letter or two and a
// number ("CH85339") are left whole, and so is a number whose first
// digits OCR read as letters ("OOl084012345").
func gluedValue(w string) int {
	letters, word := 0, false
	for i, r := range w {
		switch {
		case unicode.IsLetter(r):
			letters++
			word = word || digitLike(r) < 0
		case unicode.IsDigit(r) && letters >= 3 && word:
			digits := 0
			for _, d := range w[i:] {
				if unicode.IsDigit(d) {
					digits++
				}
			}
			if digits >= 4 {
				return i
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}
