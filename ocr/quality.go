package ocr

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Score compares recognised text with ground truth.
//
// Both sides are put in Unicode NFC (Tesseract may emit a base letter and a
// combining tone mark where the truth has one precomposed letter) and all
// runs of white space become one space, since line breaks and spacing are
// layout, not recognition.
type Score struct {
	RefChars int // characters in the normalised truth
	Edits    int // Levenshtein distance in characters
	// MarkedChars counts truth letters that carry a Vietnamese diacritic
	// (tone mark, circumflex, breve, horn or đ); MarkErrors counts those not
	// reproduced exactly, and ToneOnly those whose base letter was right but
	// whose marks were wrong: the errors that change a Vietnamese word's
	// meaning while looking almost right.
	MarkedChars int
	MarkErrors  int
	ToneOnly    int
}

// CER is the character error rate: edits per truth character.
func (s Score) CER() float64 {
	if s.RefChars == 0 {
		if s.Edits == 0 {
			return 0
		}
		return 1
	}
	return float64(s.Edits) / float64(s.RefChars)
}

// MarkErrorRate is the share of diacritic-bearing letters recognised wrong.
func (s Score) MarkErrorRate() float64 {
	if s.MarkedChars == 0 {
		return 0
	}
	return float64(s.MarkErrors) / float64(s.MarkedChars)
}

// Add accumulates another page's score.
func (s Score) Add(o Score) Score {
	return Score{
		RefChars: s.RefChars + o.RefChars, Edits: s.Edits + o.Edits,
		MarkedChars: s.MarkedChars + o.MarkedChars, MarkErrors: s.MarkErrors + o.MarkErrors,
		ToneOnly: s.ToneOnly + o.ToneOnly,
	}
}

// Normalize puts text in the form Compare measures: NFC, single spaces.
func Normalize(s string) string {
	return strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " ")
}

// Compare scores hyp against ref with a full alignment, so each truth letter
// is known to be matched, substituted or deleted.
func Compare(ref, hyp string) Score {
	r := []rune(Normalize(ref))
	h := []rune(Normalize(hyp))
	n, m := len(r), len(h)
	// dist is row-major (n+1)×(m+1); pages are a few thousand characters, so
	// the full table (for the traceback) stays in the tens of megabytes.
	w := m + 1
	dist := make([]int32, (n+1)*w)
	for j := 0; j <= m; j++ {
		dist[j] = int32(j)
	}
	for i := 1; i <= n; i++ {
		row, prev := dist[i*w:(i+1)*w], dist[(i-1)*w:i*w]
		row[0] = int32(i)
		for j := 1; j <= m; j++ {
			c := prev[j-1]
			if r[i-1] != h[j-1] {
				c++
			}
			if d := prev[j] + 1; d < c {
				c = d
			}
			if d := row[j-1] + 1; d < c {
				c = d
			}
			row[j] = c
		}
	}
	s := Score{RefChars: n, Edits: int(dist[n*w+m])}
	// Trace back to classify each marked truth letter.
	i, j := n, m
	for i > 0 {
		cur := dist[i*w+j]
		switch {
		case j > 0 && r[i-1] == h[j-1] && cur == dist[(i-1)*w+j-1]:
			if marked(r[i-1]) {
				s.MarkedChars++
			}
			i, j = i-1, j-1
		case j > 0 && cur == dist[(i-1)*w+j-1]+1:
			if marked(r[i-1]) {
				s.MarkedChars++
				s.MarkErrors++
				if base(r[i-1]) == base(h[j-1]) {
					s.ToneOnly++
				}
			}
			i, j = i-1, j-1
		case cur == dist[(i-1)*w+j]+1:
			if marked(r[i-1]) {
				s.MarkedChars++
				s.MarkErrors++
			}
			i--
		default:
			j--
		}
	}
	return s
}

// marked reports whether a letter carries a diacritic: its canonical
// decomposition has combining marks, or it is đ/Đ (which has none).
func marked(c rune) bool {
	if c == 'đ' || c == 'Đ' {
		return true
	}
	return len([]rune(norm.NFD.String(string(c)))) > 1
}

// base strips diacritics and case: the letter a reader sees under the marks.
func base(c rune) rune {
	switch c {
	case 'đ', 'Đ':
		return 'd'
	}
	d := []rune(norm.NFD.String(string(c)))
	return unicode.ToLower(d[0])
}
