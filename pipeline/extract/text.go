package extract

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// fold strips tone marks and other diacritics and lower-cases: "Họ, chữ
// đệm" → "ho, chu dem". OCR loses and swaps tone marks more than any other
// part of a Vietnamese letter, so labels are compared without them.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// key is a label's text as labels are compared: folded, with the letters
// OCR confuses with digits and with each other made one (0 and o; 1, l, I
// and i), and nothing but letters and digits: "Số CMND/CCCD:" → "socmndcccd",
// "H0 và tên" → "hovaten".
func key(s string) string {
	var b strings.Builder
	for _, r := range fold(s) {
		switch r {
		case '0':
			r = 'o'
		case '1', 'l', '|', '!':
			r = 'i'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// distance is the Levenshtein distance between two keys.
func distance(a, b string) int {
	return distanceUpTo(a, b, max(len(a), len(b)))
}

// distanceUpTo is the Levenshtein distance between a and b when it is at
// most k, and k+1 otherwise. Matching labels asks this of every window of
// words on every line, nearly always of strings far apart, so it computes
// only the band of cells within k of the diagonal and stops at the first
// row whose every cell exceeds k.
func distanceUpTo(a, b string, k int) int {
	if d := len(a) - len(b); d > k || -d > k {
		return k + 1
	}
	var buf [2 * 64]int
	var prev, cur []int
	if len(b) < 64 {
		prev, cur = buf[:len(b)+1], buf[64:64+len(b)+1]
	} else {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	far := k + 1 // stands for every value above k
	for j := range prev {
		prev[j] = min(j, far)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-k), min(len(b), i+k)
		if lo > 1 {
			cur[lo-1] = far
		} else {
			cur[0] = min(i, far)
		}
		best := cur[lo-1]
		for j := lo; j <= hi; j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1, far)
			cur[j] = c
			best = min(best, c)
		}
		if hi < len(b) {
			cur[hi+1] = far
		}
		if best > k {
			return k + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// within finds pattern in text at the least edit distance, the pattern
// whole and the text cut anywhere (semi-global alignment): the distance
// and where in text the best match starts.
func within(pattern, text string) (dist, start int) {
	n := len(pattern)
	// col[i] is the distance of pattern[:i] against the best text suffix
	// ending here; from[i] where that alignment started in text.
	col := make([]int, n+1)
	from := make([]int, n+1)
	prevCol := make([]int, n+1)
	prevFrom := make([]int, n+1)
	for i := range prevCol {
		prevCol[i] = i
	}
	dist, start = n, 0
	for j := 1; j <= len(text); j++ {
		col[0], from[0] = 0, j
		for i := 1; i <= n; i++ {
			sub := prevCol[i-1]
			if pattern[i-1] != text[j-1] {
				sub++
			}
			best, f := sub, prevFrom[i-1]
			if d := prevCol[i] + 1; d < best {
				best, f = d, prevFrom[i]
			}
			if d := col[i-1] + 1; d < best {
				best, f = d, from[i-1]
			}
			col[i], from[i] = best, f
		}
		if col[n] < dist {
			dist, start = col[n], from[n]
		}
		col, prevCol = prevCol, col
		from, prevFrom = prevFrom, from
	}
	return dist, start
}

// tolerance is how many edits a label of n letters may show and still be
// that label: none for the shortest, whose neighbours are other words.
func tolerance(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 8:
		return 1
	case n <= 15:
		return 2
	case n <= 24:
		return 3
	}
	return 4
}

// clean is a value's text as normalised: NFC, single spaces, no space
// before punctuation, no leader dots or stray punctuation at either end.
func clean(s string) string {
	s = norm.NFC.String(s)
	s = strings.Join(strings.Fields(s), " ")
	for _, p := range []string{",", ".", ";", ")"} {
		s = strings.ReplaceAll(s, " "+p, p)
	}
	s = strings.ReplaceAll(s, "( ", "(")
	s = strings.ReplaceAll(s, "…", "")
	// A comma is followed by a space, as addresses are written.
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		b.WriteRune(r)
		if r == ',' && i+1 < len(rs) && rs[i+1] != ' ' {
			b.WriteRune(' ')
		}
	}
	return strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(".,;:_-–—…·*'\"", r)
	})
}

// digitLike maps the letters OCR reads for digits to those digits:
// O and o for 0, l, I, i and | for 1, S for 5, B for 8, Z for 2, g for 9.
// It returns -1 for anything else.
func digitLike(r rune) rune {
	switch {
	case r >= '0' && r <= '9':
		return r
	case r == 'O' || r == 'o' || r == 'D' || r == 'Q':
		return '0'
	case r == 'l' || r == 'I' || r == 'i' || r == '|' || r == '!' || r == 'í' || r == 'ì':
		return '1'
	case r == 'S' || r == 's':
		return '5'
	case r == 'B':
		return '8'
	case r == 'Z' || r == 'z':
		return '2'
	case r == 'g' || r == 'q':
		return '9'
	}
	return -1
}

// numeric reads s as digits when it is mostly digits: the digits, with
// look-alike letters read as digits and separators dropped, and how many
// digits were real ones. ok is false when s is a word, not a number.
func numeric(s string, seps string) (digits string, real int, ok bool) {
	var b strings.Builder
	letters := 0
	for _, r := range s {
		if strings.ContainsRune(seps, r) {
			continue
		}
		d := digitLike(r)
		if d < 0 {
			return "", 0, false
		}
		if r >= '0' && r <= '9' {
			real++
		} else {
			letters++
		}
		b.WriteRune(d)
	}
	// A look-alike is a misreading among digits, not a word of them.
	if real == 0 || letters*2 > real {
		return "", 0, false
	}
	return b.String(), real, true
}

func isUpperWord(w string) bool {
	letters, upper := 0, 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters > 0 && upper == letters
}

// capitalised: a word that opens with a capital letter, as every syllable
// of a Vietnamese name does.
func capitalised(w string) bool {
	for _, r := range w {
		return unicode.IsUpper(r)
	}
	return false
}

func lettersOnly(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsLetter(r) && r != '\'' && r != '-' && r != '’' {
			return false
		}
		n++
	}
	return n > 0
}

// toneMarks are the combining marks of the five tones other than the
// level one: grave, acute, tilde, hook above, dot below.
const toneMarks = "\u0300\u0301\u0303\u0309\u0323"

// stopTone writes the dot below that OCR lost on a syllable that cannot
// be read without a tone: one closed by c, ch, p or t takes the rising
// (sắc) or the heavy (nặng) tone, never the level one, and where OCR
// drops one of the two it is the dot below the line ("NGOC" for "NGỌC",
// "Thuôt" for "Thuột"). Other words are returned as they are.
func stopTone(w string) string {
	d := norm.NFD.String(w)
	if strings.ContainsAny(d, toneMarks) || !lettersOnly(w) {
		return w
	}
	f := fold(w)
	coda := ""
	for _, c := range []string{"ch", "c", "p", "t"} {
		if strings.HasSuffix(f, c) {
			coda = c
			break
		}
	}
	if coda == "" || len(f) == len(coda) {
		return w
	}
	// The tone sits on the last vowel before the closing consonant.
	rs := []rune(d)
	for i := len(rs) - 1; i >= 0; i-- {
		if strings.ContainsRune("aeiouyAEIOUY", rs[i]) {
			// After the vowel's own marks (circumflex, breve, horn).
			j := i + 1
			for j < len(rs) && unicode.Is(unicode.Mn, rs[j]) {
				j++
			}
			out := append(append(append([]rune{}, rs[:j]...), '\u0323'), rs[j:]...)
			return norm.NFC.String(string(out))
		}
	}
	return w
}
