package register

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FoldName is a name as the register compares and the wire carries it:
// upper-case, without diacritics and without spaces. "Đặng Thị  Ngọc Ánh"
// becomes "DANGTHINGOCANH".
//
// Diacritics are removed by decomposing (NFD) and dropping the combining
// marks, which takes off tone marks and the breve, circumflex and horn of
// ă â ê ô ơ ư alike, whether the input arrived composed or decomposed. Đ is
// a letter of its own, not D with a mark, so it is mapped by hand.
func FoldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r):
			continue
		case r == 'đ' || r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
