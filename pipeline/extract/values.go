package extract

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A value's words are read by its label's kind. Each reader returns the
// field, Raw being the words it used as read, or nil when there is
// nothing to read.

// newField makes a field of tokens, its confidence OCR's mean.
func newField(page int, toks []token, value string) *Field {
	f := &Field{Page: page, Value: value}
	var parts []string
	sum := 0.0
	for _, t := range toks {
		parts = append(parts, t.text)
		f.Boxes = append(f.Boxes, t.box)
		sum += t.conf
	}
	f.Raw = strings.Join(parts, " ")
	if len(toks) > 0 {
		f.Confidence = sum / float64(len(toks)) / 100
	}
	return f
}

func (f *Field) reject(format string, args ...any) *Field {
	f.Value, f.Problem = "", fmt.Sprintf(format, args...)
	f.Confidence *= 0.3
	return f
}

var honorifics = map[string]bool{"ong": true, "ba": true, "ongba": true, "anh": true, "chi": true, "anhchi": true,
	"bao": true /* "Bà" with its mark read as a letter */}

// readName reads a person's name: capitalised words, after any title
// ("Ông", "Bà") and instruction in parentheses, up to a comma or the first
// word that is not part of a name.
func readName(page int, toks []token) *Field {
	var used []token
	var words []string // the name's words, without the marks OCR glued to them
	var stop *token    // the word the name ran into, if OCR could not read it
	paren := false
	for i, t := range toks {
		if junk(t) {
			if len(used) > 0 && !specksWithin(used, toks[i:]) {
				break // a name ends at the specks after it
			}
			continue
		}
		if strings.HasPrefix(t.text, "(") {
			paren = true
		}
		if paren {
			paren = !strings.Contains(t.text, ")")
			continue
		}
		if len(used) == 0 && (honorifics[t.key] || i == 0 && strings.Contains(t.text, "/") && honorifics[key(strings.Split(t.text, "/")[0])]) {
			continue
		}
		text := t.text
		if len(used) > 0 && strings.HasSuffix(text, ")") && !strings.Contains(text, "(") {
			// A bracket no bracket opened, after a word of the name, is
			// a speck OCR read ("LÊ Quốc) VINH").
			text = strings.TrimRight(text, ")")
		}
		w, ok := nameWord(text)
		parts := []string{w}
		if !ok {
			// Two words of a name OCR joined with a dot for the space
			// between them ("KIỀU.THỊ").
			parts, ok = dotJoined(w)
		}
		if len(used) > 0 && wideGap(used[len(used)-1], t) {
			break
		}
		if ok && !hasVowel(w) {
			// No word of a name lacks a vowel: a capitals' abbreviation
			// after one is the next thing on the line ("SN", sinh năm,
			// before the year of birth).
			break
		}
		if !ok {
			if len(used) > 0 && t.conf < nameFloor && utf8.RuneCountInString(strings.Trim(t.text, ".,;:"+quotes)) >= 2 {
				stop = &toks[i]
			}
			break
		}
		used = append(used, t)
		words = append(words, parts...)
		if strings.ContainsAny(strings.TrimRight(t.text, quotes), ",;.:") && len(parts) == 1 && !speckStop(t, toks[i+1:]) {
			break // a comma or colon ends the name
		}
	}
	if len(used) == 0 {
		return nil
	}
	f := newField(page, used, "")
	if len(words) < 2 || len(words) > 7 {
		return f.reject("%q is not a full name", f.Raw)
	}
	for i, w := range words {
		words[i] = stopTone(strings.ToUpper(norm.NFC.String(w)))
	}
	f.Value = strings.Join(mendName(words), " ")
	if t, ok := guessed(used, nameFloor); ok {
		return f.reject("OCR guessed %q (confidence %.0f)", t.text, t.conf)
	}
	// A word OCR could not read right after the name may be its end.
	if stop != nil {
		return f.reject("the name runs into %q, which OCR guessed (confidence %.0f)", stop.text, stop.conf)
	}
	return f
}

// hasVowel reports whether w holds a vowel, whatever its marks.
func hasVowel(w string) bool {
	return strings.ContainsAny(fold(w), "aeiouy")
}

// A name has no structure nor vocabulary to hold its words to, so a word
// OCR is less sure of than not is not taken as read; an address's unit
// words and province are checked against theirs, and only a word OCR all
// but made up (under 10 in Tesseract's confidence, which it gives specks
// and strokes it forced into letters) stops it.
const (
	nameFloor    = 50
	addressFloor = 10
)

// guessed is the first word of toks OCR read with a confidence under
// floor.
func guessed(toks []token, floor float64) (token, bool) {
	for _, t := range toks {
		if t.conf < floor {
			return t, true
		}
	}
	return token{}, false
}

// quotes are the marks OCR reads off specks beside a word: no Vietnamese
// word opens or closes with one ("'CÔNG", "Sơn`").
const quotes = "'`´‘’“”\"„‚"

// speckStop reports whether the stop OCR read after t, a word of a name
// in capitals, is a speck inside the name: a colon or full stop glued to
// it, and after it, close by, a last word in capitals that is a name of
// the stock ("NÔNG NGỌC: OANH"). A comma, or anything after that word,
// is the name's end as written.
func speckStop(t token, rest []token) bool {
	stop := strings.TrimRight(t.text, quotes)
	if !strings.HasSuffix(stop, ":") && !strings.HasSuffix(stop, ".") || !isUpperWord(strings.TrimRight(stop, ".:")) || len(rest) == 0 {
		return false
	}
	next := rest[0]
	w, ok := nameWord(next.text)
	return ok && w == next.text && isUpperWord(w) && nameSet[strings.ToUpper(norm.NFC.String(w))] &&
		!wideGap(t, next) && (len(rest) == 1 || wideGap(next, rest[1]))
}

// dotJoined splits w at the dots between its letters when every part
// is a word of a name in the same case.
func dotJoined(w string) ([]string, bool) {
	parts := strings.Split(w, ".")
	if len(parts) < 2 {
		return nil, false
	}
	for _, p := range parts {
		if _, ok := nameWord(p); !ok || p == "" || isUpperWord(p) != isUpperWord(parts[0]) {
			return nil, false
		}
	}
	return parts, true
}

// nameWord is w as a word of a name, without the quote marks OCR glued to
// it and the punctuation that closes it, if it can be one: letters, the
// first a capital. A quote inside a word stays: "H'Mông".
func nameWord(w string) (string, bool) {
	w = strings.Trim(strings.TrimRight(strings.Trim(w, quotes), ",;.:"), quotes)
	return w, lettersOnly(w) && capitalised(w)
}

// specksWithin reports whether the specks that open rest stand inside
// the name read so far rather than after it: no wide space (wideGap)
// after its last word, and followed, to the end of the value or a comma,
// only by words of a name in the same case ("Phạm ( Công Khánh"). Leader
// dots before another value are wider than a space; a label's words are
// not capitalised throughout.
func specksWithin(used, rest []token) bool {
	last := used[len(used)-1]
	upper := isUpperWord(last.text)
	n := 0
	for _, t := range rest {
		if junk(t) {
			if n > 0 {
				return false
			}
			continue
		}
		w, ok := nameWord(t.text)
		if !ok || isUpperWord(w) != upper {
			return false
		}
		if n == 0 && wideGap(last, t) {
			return false
		}
		n++
		if len(used)+n > 7 {
			return false
		}
		if strings.ContainsAny(t.text, ",;") {
			break
		}
	}
	return n > 0
}

// digitClass is what may stand for a digit in a date: digits and the
// letters OCR reads for them.
const digitClass = `[0-9OoDQlIi|!SsBZzgq]`

// between is what may stand between the parts of a date: spaces,
// punctuation and the specks OCR reads as punctuation.
const between = `[\s,.:;'"“”‘’\-_]*`

var (
	numericDate = regexp.MustCompile(`^[^0-9a-z]*(` + digitClass + `{1,2})\s*[/.\-]\s*(` + digitClass + `{1,2})\s*[/.\-]\s*(` + digitClass + `{4})`)
	wordDate    = regexp.MustCompile(`^[^0-9a-z]*(?:ngay` + between + `)?(` + digitClass + `{1,2})` + between + `thang` + between + `(` + digitClass + `{1,2})` + between + `nam` + between + `(` + digitClass + `{4})`)
	yearOnly    = regexp.MustCompile(`^[^0-9a-z]*(` + digitClass + `{4})(?:\D|$)`)
)

// dateText is words as dates are matched: folded, with the spaces OCR put
// between digits taken out, and where each word starts in it.
func dateText(toks []token) (text string, starts []int) {
	for _, t := range toks {
		w := fold(t.text)
		if n := len(text); n >= 2 && text[n-2] >= '0' && text[n-2] <= '9' && w != "" && w[0] >= '0' && w[0] <= '9' {
			text = text[:n-1] // "1 992": one number
		}
		starts = append(starts, len(text))
		text += w + " "
	}
	return text, starts
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if d := digitLike(r); d >= 0 {
			b.WriteRune(d)
		}
	}
	return b.String()
}

// readDate reads a date (dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, or "ngày dd
// tháng mm năm yyyy"), or a year alone where yearOK; before now.
func readDate(page int, toks []token, yearOK bool, now time.Time) *Field {
	if len(toks) == 0 {
		return nil
	}
	// The words as one string, and where each starts in it, to know which
	// words the date used.
	text, starts := dateText(toks[:min(len(toks), 8)])
	used := func(end int) []token {
		n := 0
		for n < len(starts) && starts[n] < end {
			n++
		}
		return toks[:n]
	}
	for _, re := range []*regexp.Regexp{numericDate, wordDate} {
		if m := re.FindStringSubmatchIndex(text); m != nil {
			f := newField(page, used(m[1]), "")
			d, mo, y := atoi(digitsOf(text[m[2]:m[3]])), atoi(digitsOf(text[m[4]:m[5]])), atoi(digitsOf(text[m[6]:m[7]]))
			return checkDate(f, d, mo, y, now)
		}
	}
	if m := yearOnly.FindStringSubmatchIndex(text); m != nil && yearOK {
		f := newField(page, used(m[3]), "")
		y := atoi(digitsOf(text[m[2]:m[3]]))
		if y < 1900 || y > now.Year() {
			return f.reject("%d is no year of birth", y)
		}
		f.Value = fmt.Sprintf("%04d", y)
		return f
	}
	f := newField(page, toks[:min(len(toks), 3)], "")
	return f.reject("%q is no date", f.Raw)
}

func checkDate(f *Field, d, m, y int, now time.Time) *Field {
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return f.reject("%q is no date", f.Raw)
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.After(now) {
		return f.reject("%s is after today", t.Format("2006-01-02"))
	}
	f.Value = t.Format("2006-01-02")
	return f
}

func daysIn(m, y int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// readGender reads "Nam" or "Nữ".
func readGender(page int, toks []token) *Field {
	if len(toks) == 0 {
		return nil
	}
	f := newField(page, toks[:1], "")
	switch toks[0].key {
	case "nam", "narn", "nan":
		f.Value = "Nam"
	case "nu", "nii", "nir":
		f.Value = "Nữ"
	default:
		return f.reject("%q is neither Nam nor Nữ", f.Raw)
	}
	return f
}

// readNationality reads a nationality; Vietnamese, misread or not, is
// written "Việt Nam".
func readNationality(page int, toks []token) *Field {
	toks = words(toks, 4)
	if len(toks) == 0 {
		return nil
	}
	f := newField(page, toks, clean(joinText(toks)))
	if k := key(f.Raw); distanceUpTo(k, "vietnam", 1) <= 1 || k == "vn" {
		f.Value = "Việt Nam"
	}
	if f.Value == "" {
		return f.reject("%q is no nationality", f.Raw)
	}
	return f
}

// ethnicGroups are the 54 ethnic groups of Việt Nam, as the population
// register names them.
var ethnicGroups = []string{"Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "H'Mông", "Dao", "Gia Rai",
	"Ê Đê", "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ", "Xtiêng",
	"Khơ Mú", "Bru - Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ Triêng", "Co", "Chơ Ro", "Xinh Mun", "Hà Nhì",
	"Chu Ru", "Lào", "La Chí", "Kháng", "Phù Lá", "La Hủ", "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng",
	"Cơ Lao", "Bố Y", "Cống", "Si La", "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu"}

// readEthnicity reads an ethnic group, normalised to the register's
// spelling when the words are one of the 54 misread at most slightly.
func readEthnicity(page int, toks []token) *Field {
	toks = words(toks, 4)
	if len(toks) == 0 {
		return nil
	}
	// The longest run of words from the start that names a group.
	for n := len(toks); n >= 1; n-- {
		k := key(joinText(toks[:n]))
		for _, g := range ethnicGroups {
			gk := key(g)
			tol := 0
			if len(gk) >= 5 {
				tol = 1
			}
			if distanceUpTo(k, gk, tol) <= tol {
				return newField(page, toks[:n], g)
			}
		}
	}
	f := newField(page, toks[:1], "")
	return f.reject("%q is none of the 54 ethnic groups", f.Raw)
}

// words keeps up to n words of a value, cut before any that opens a
// parenthesis.
func words(toks []token, n int) []token {
	for i, t := range toks {
		if strings.HasPrefix(t.text, "(") || i == n {
			return toks[:i]
		}
	}
	return toks
}

func joinText(toks []token) string {
	var parts []string
	for _, t := range toks {
		parts = append(parts, t.text)
	}
	return strings.Join(parts, " ")
}

// readNumber finds the first run of digits in a value (written in
// groups or not, look-alike letters read as digits) and whether it is a
// personal identification number (12 digits) or an old card's (9).
func readNumber(page int, toks []token) (f *Field, legacy bool) {
	var run []token
	digits := ""
	for _, t := range toks {
		d, _, ok := numeric(strings.TrimRight(t.text, ",;."), ".-")
		if !ok {
			if len(run) > 0 {
				break
			}
			continue // "CCCD số", "Căn cước công dân số"
		}
		run = append(run, t)
		digits += d
		if len(digits) >= 12 || strings.HasSuffix(t.text, ",") || strings.HasSuffix(t.text, ";") {
			break
		}
	}
	if len(run) == 0 {
		return nil, false
	}
	f = newField(page, run, digits)
	switch len(digits) {
	case 12:
		return f, false
	case 9:
		return f, true
	}
	return f.reject("%q has %d digits: a personal identification number has 12, an identity card's 9", f.Raw, len(digits)), false
}

// readPhone reads a phone number as its digits: 10 for a mobile, 11 for
// a landline with its area code, +84 written as 0.
func readPhone(page int, toks []token) *Field {
	var run []token
	digits := ""
	for _, t := range toks {
		d, _, ok := numeric(strings.Trim(t.text, ",;"), ".-()+ ")
		if !ok {
			if len(run) > 0 {
				break
			}
			continue
		}
		run = append(run, t)
		digits += d
		if len(digits) >= 10 {
			break
		}
	}
	if len(run) == 0 {
		return nil
	}
	if strings.HasPrefix(digits, "84") && len(digits) == 11 {
		digits = "0" + digits[2:]
	}
	f := newField(page, run, digits)
	if !(len(digits) == 10 && digits[0] == '0') && !(len(digits) == 11 && strings.HasPrefix(digits, "02")) {
		return f.reject("%q is no phone number", f.Raw)
	}
	return f
}

// beforeGap cuts a value at the first space between two of its words on
// one line wider than two letters' height: words are typed a space apart,
// and what stands further on is another column, a mark or specks ("...
// thành phố Đà Nẵng,      TP"). Specks before the value's first word do
// not start it.
func beforeGap(toks []token) []token {
	started := false
	for i, t := range toks {
		if i > 0 && started && wideGap(toks[i-1], t) {
			return toks[:i]
		}
		started = started || !junk(t)
	}
	return toks
}

// wideGap: b follows a on its line after more than two letters' height.
func wideGap(a, b token) bool {
	h := max(a.box[3]-a.box[1], 1)
	sameLine := b.box[1] < a.box[3] && a.box[1] < b.box[3]
	return sameLine && b.box[0]-a.box[2] > 2*h
}

// trimSpecks drops what OCR made of specks after a value's last word:
// "Thành phố Hồ Chí Minh “7".
func trimSpecks(toks []token) []token {
	for len(toks) > 0 {
		t := toks[len(toks)-1]
		short := len([]rune(t.text)) <= 3 && strings.ContainsAny(t.text, "“”\"'`^~¬|_*")
		if !junk(t) && !short {
			break
		}
		toks = toks[:len(toks)-1]
	}
	return toks
}

// readAddress reads an address: the words as written, normalised.
func readAddress(page int, toks []token) *Field {
	var kept []token
	for _, t := range toks {
		if key(t.text) == "" && !strings.ContainsAny(t.text, "0123456789") {
			continue // leader dots and stray marks
		}
		kept = append(kept, t)
	}
	kept = afterProvince(trimSpecks(kept))
	if len(kept) == 0 {
		return nil
	}
	var words []string
	for _, t := range kept {
		words = append(words, addressWord(t.text))
	}
	f := newField(page, kept, normalizeAddress(clean(strings.Join(words, " "))))
	if len(kept) < 2 {
		return f.reject("%q is no address", f.Raw)
	}
	if u := danglingUnit(words); u != "" {
		return f.reject("%q ends at %q: the name after it was not read", f.Raw, u)
	}
	if t, ok := guessed(kept, addressFloor); ok {
		return f.reject("OCR guessed %q (confidence %.0f)", t.text, t.conf)
	}
	return f
}

// levels are the administrative units whose name or number always
// follows them.
var levels = []string{"phuong", "xa", "quan", "huyen", "tinh", "thanh pho", "thi xa", "thi tran"}

// lowerUnit reports whether part of an address opens with the unit word
// of a level under the province (levels): a ward's or a district's name.
func lowerUnit(part string) bool {
	f := fold(strings.TrimSpace(part))
	for _, l := range levels {
		if l != "tinh" && l != "thanh pho" && strings.HasPrefix(f, l+" ") {
			return true
		}
	}
	return false
}

// danglingUnit is the unit word an address ends with, in lower case as
// unit words are written within one, where the rest of the address was
// lost ("..., huyện Cẩm Giàng, tỉnh"); empty when it ends with a name.
func danglingUnit(words []string) string {
	var tail []string
	for i := len(words) - 1; i >= 0 && len(tail) < 2; i-- {
		if w := strings.Trim(words[i], ".,;:"); w != "" {
			tail = append([]string{w}, tail...)
		}
	}
	for k := range tail {
		u := strings.Join(tail[k:], " ")
		if r, _ := utf8.DecodeRuneInString(u); unicode.IsLower(r) && slices.Contains(levels, fold(u)) {
			return u
		}
	}
	return ""
}

// afterProvince drops a letter or two that follow an address's province
// ("..., tỉnh Đắk Lắk L"): an address ends there, and what OCR read after
// it is specks. Anything longer stays, to be seen.
func afterProvince(toks []token) []token {
	for n := len(toks) - 1; n >= max(1, len(toks)-2); n-- {
		stray := true
		for _, t := range toks[n:] {
			w := strings.Trim(t.text, ".,;:"+quotes)
			stray = stray && utf8.RuneCountInString(w) <= 2 && lettersOnly(w)
		}
		if !stray {
			break
		}
		if complete(joinText(toks[:n])) {
			return toks[:n]
		}
	}
	return toks
}

// addressWord is a word of an address without the marks OCR glues to
// words and no address has there: quote marks at either end ("'Quý"), a
// dash before a word ("-quận"), a colon after one ("phường: Điện Biên");
// a semicolon after one is the comma it was ("Gián; quận").
func addressWord(w string) string {
	w = strings.Trim(w, quotes)
	if rest := strings.TrimLeft(w, "-–—"); rest != w && rest != "" {
		if r, _ := utf8.DecodeRuneInString(rest); unicode.IsLetter(r) {
			w = rest
		}
	}
	if strings.HasSuffix(w, ";") {
		w = strings.TrimRight(w, ";") + ","
	}
	return strings.TrimRight(w, ":")
}

// complete reports whether an address, as read, ends with its province:
// "tỉnh X", or "thành phố X" for the cities run by the centre, or X
// alone, X a province's name misread in a letter at most. "thành phố Cà
// Mau" is no end (the city is in tỉnh Cà Mau), nor is "tỉnh Thái" (the
// line broke inside "Thái Nguyên"), nor a comma.
func complete(addr string) bool {
	if strings.HasSuffix(strings.TrimSpace(addr), ",") {
		return false
	}
	parts := strings.Split(addr, ",")
	// A last part that opens with a lower unit's word names a district or
	// a ward, however like a province's name the rest reads ("quận Ninh"
	// is one letter from Quảng Ninh: "Kiều" and the city follow).
	if lowerUnit(parts[len(parts)-1]) {
		return false
	}
	last := key(parts[len(parts)-1])
	names := provinceKeys
	for _, pre := range []string{"tinh", "thanhpho", "tp"} {
		if rest, ok := strings.CutPrefix(last, pre); ok && rest != "" {
			last = rest
			if pre != "tinh" {
				names = cityKeys
			}
			break
		}
	}
	for _, p := range names {
		if last == p || len(p) >= 6 && distanceUpTo(last, p, 1) <= 1 {
			return true
		}
	}
	return false
}

var provinceKeys, cityKeys []string

func init() {
	for _, p := range provinceNames {
		provinceKeys = append(provinceKeys, key(p))
	}
	for _, c := range cityNames {
		cityKeys = append(cityKeys, key(c))
	}
}

// adminWords open the parts of an address: what a continuation line of
// one has and running prose rarely does.
var adminWords = []string{"phuong", "xa", "quan", "huyen", "tinh", "thanhpho", "thixa", "thitran", "tp", "to", "thon",
	"ap", "xom", "duong", "pho", "ngo", "so", "khupho", "ban"}

func addressLike(toks []token) bool {
	for _, t := range toks {
		if strings.Contains(t.text, ",") {
			return true
		}
		for _, a := range adminWords {
			if t.key == a {
				return true
			}
		}
	}
	return false
}
