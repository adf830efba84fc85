package extract

import (
	"strings"
	"unicode"
)

// kind is what a label announces.
type kind int

const (
	kName kind = iota
	kDateOfBirth
	kYearOfBirth // "Năm sinh": a year, where a full date is not asked
	kGender
	kNationality
	kEthnicity
	kIDNumber // 12 digits, or the old card's 9: the digits decide
	kPermanentAddress
	kCurrentAddress
	kPhone
	kAddressee // "Kính gửi": an office, or a citizen by title and name
	kOther     // a label whose value is not extracted; it still ends the value before it
)

// label is one wording of a field's label.
type label struct {
	key  string
	kind kind
	role string // the role the label itself names ("Tên chủ xe")
	// opens: the label must open its row (after any numbering): short
	// words that stand for a label only there ("Ông:"). colon: it must end
	// in a colon, as words that are labels only then ("Người nộp hồ sơ:",
	// not the title of a signature block).
	opens, colon bool
	words        int // words in the wording
}

// labelTexts are the wordings of labels found on forms of the one-stop
// desks (and their older editions), by field. Only the part common to a
// family need be listed: what follows up to the colon ("Họ và tên chủ
// hộ:", "Số định danh cá nhân của người mẹ:") qualifies it, and names the
// person's role when it names one.
var labelTexts = []struct {
	kind         kind
	role         string
	opens, colon bool
	texts        []string
}{
	{kName, "", false, false, []string{"Họ và tên", "Họ, chữ đệm, tên", "Họ, chữ đệm và tên", "Họ tên",
		"Họ và tên khai sinh", "Tôi tên là", "Tôi là"}},
	{kName, "", true, true, []string{"Tên", "Ông", "Bà", "Ông/Bà", "Ông (Bà)", "Anh/Chị"}},
	{kName, RoleRegistered, false, false, []string{"Tên chủ xe", "Họ tên chủ xe", "Họ và tên chủ xe"}},
	{kName, RoleApplicant, false, true, []string{"Người nộp hồ sơ", "Người yêu cầu", "Người đề nghị", "Người làm đơn",
		"Tiếp nhận hồ sơ của"}},
	{kDateOfBirth, "", false, false, []string{"Ngày, tháng, năm sinh", "Ngày tháng năm sinh", "Ngày sinh", "Sinh ngày",
		"Ngày/tháng/năm sinh"}},
	{kYearOfBirth, "", false, false, []string{"Năm sinh", "Sinh năm"}},
	{kGender, "", false, false, []string{"Giới tính"}},
	{kNationality, "", false, false, []string{"Quốc tịch"}},
	{kEthnicity, "", false, false, []string{"Dân tộc"}},
	{kIDNumber, "", false, false, []string{"Số định danh cá nhân", "Số định danh", "Mã định danh", "Mã số định danh",
		"Số CCCD", "CCCD số", "Số căn cước công dân", "Căn cước công dân số", "Số căn cước", "Căn cước số",
		"Số CMND", "CMND số", "Số chứng minh nhân dân", "Chứng minh nhân dân số", "Số CMND/CCCD", "Số CCCD/CMND",
		"CMND/CCCD số", "CCCD/CMND số", "Số CCCD/CMND/Hộ chiếu", "Số CMND/CCCD/Hộ chiếu", "Số định danh cá nhân/CCCD",
		"Giấy tờ tùy thân", "Số giấy tờ tùy thân", "Giấy tờ nhân thân", "Số CMT", "Số thẻ căn cước"}},
	// The number's name is long enough that its last words alone are it,
	// where a seal or specks made the first unreadable ("sỹ ðjmh danh cá
	// nhân 048219972995"); its digits are held to a number's structure as
	// any are.
	{kIDNumber, "", false, false, []string{"danh cá nhân"}},
	{kPermanentAddress, "", false, false, []string{"Nơi thường trú", "Địa chỉ thường trú", "Hộ khẩu thường trú",
		"Nơi đăng ký thường trú", "Nơi đăng ký hộ khẩu thường trú", "Thường trú tại", "HKTT"}},
	// The words before "thường trú" misread or glued to numbering
	// ("Nœ:thường trú:"): the colon says it is the label.
	{kPermanentAddress, "", false, true, []string{"Thường trú"}},
	{kCurrentAddress, "", false, false, []string{"Nơi ở hiện tại", "Nơi ở hiện nay", "Chỗ ở hiện nay", "Chỗ ở hiện tại",
		"Địa chỉ hiện tại", "Địa chỉ hiện nay", "Địa chỉ liên hệ", "Nơi cư trú", "Địa chỉ", "Trú tại", "Cư trú tại",
		"Hiện cư trú tại", "Nơi ở"}},
	{kPhone, "", false, false, []string{"Số điện thoại", "Điện thoại", "Số điện thoại liên hệ", "Điện thoại liên hệ",
		"Số ĐT", "SĐT", "ĐT liên hệ", "Di động"}},
	{kPhone, "", true, true, []string{"ĐT"}},
	{kAddressee, "", false, false, []string{"Kính gửi"}},
	{kOther, "", false, false, []string{"Nơi sinh", "Quê quán", "Tôn giáo", "Nghề nghiệp", "Email", "Thư điện tử",
		"Quan hệ với", "Mối quan hệ với", "Nội dung", "Lý do", "Ngày cấp", "Cấp ngày", "Nơi cấp", "Có giá trị đến",
		"Số máy", "Số khung", "Nhãn hiệu", "Số loại", "Loại xe", "Màu sơn", "Dung tích", "Biển số", "Số chỗ ngồi",
		"Thửa đất số", "Tờ bản đồ số", "Số phát hành", "Số vào sổ", "Diện tích", "Ghi bằng chữ", "Mã hồ sơ",
		"Ngày hẹn trả kết quả", "Hẹn trả kết quả", "Tình trạng hôn nhân", "Mục đích sử dụng", "Nơi tạm trú",
		"Địa chỉ tạm trú", "Tạm trú tại", "Số hộ chiếu", "Trình độ học vấn", "Nơi làm việc", "Mã số thuế",
		"Số tài khoản", "Ngày nộp", "Ngày nhận"}},
}

var labels []label

func init() {
	for _, g := range labelTexts {
		for _, t := range g.texts {
			labels = append(labels, label{key: key(t), kind: g.kind, role: g.role, opens: g.opens, colon: g.colon,
				words: len(strings.Fields(strings.NewReplacer("/", " ", ",", " ").Replace(t)))})
		}
	}
}

// rolePhrases name roles where a label's qualifier or a section heading
// says whose fields follow.
var rolePhrases = []struct {
	text, role string
}{
	{"chủ hộ", RoleHouseholdHead}, {"của chủ hộ", RoleHouseholdHead}, {"người đứng tên chủ hộ", RoleHouseholdHead},
	{"mẹ", RoleMother}, {"người mẹ", RoleMother}, {"thông tin về mẹ", RoleMother},
	{"cha", RoleFather}, {"bố", RoleFather}, {"người cha", RoleFather}, {"thông tin về cha", RoleFather},
	{"vợ", RoleSpouse}, {"chồng", RoleSpouse}, {"vợ/chồng", RoleSpouse}, {"vợ (chồng)", RoleSpouse},
	{"vợ hoặc chồng", RoleSpouse}, {"chồng (vợ)", RoleSpouse},
	{"người yêu cầu", RoleApplicant}, {"người đi đăng ký", RoleApplicant}, {"người đề nghị", RoleApplicant},
	{"người khai", RoleApplicant}, {"người kê khai", RoleApplicant}, {"người nộp hồ sơ", RoleApplicant},
	{"người nộp", RoleApplicant}, {"người làm đơn", RoleApplicant}, {"người viết đơn", RoleApplicant},
	{"tiếp nhận hồ sơ của", RoleApplicant}, {"hồ sơ của", RoleApplicant}, {"người đi làm thủ tục", RoleApplicant},
	{"người được đăng ký khai sinh", RoleRegistered}, {"người được khai sinh", RoleRegistered},
	{"cho người dưới đây", RoleRegistered}, {"người có tên dưới đây", RoleRegistered}, {"có tên dưới đây", RoleRegistered},
	{"người được cấp giấy xác nhận", RoleRegistered}, {"người được xác nhận", RoleRegistered},
	{"chủ xe", RoleRegistered}, {"người sử dụng đất", RoleRegistered}, {"của công dân", RoleRegistered},
	{"người đăng ký thường trú", RoleRegistered}, {"người thay đổi", RoleRegistered},
	{"bên ủy quyền", RolePrincipal}, {"người ủy quyền", RolePrincipal}, {"bên a", RolePrincipal},
	{"bên được ủy quyền", RoleAgent}, {"người được ủy quyền", RoleAgent}, {"bên b", RoleAgent},
	{"thành viên trong hộ", RoleMember}, {"thành viên hộ gia đình", RoleMember}, {"các thành viên", RoleMember},
	{"những thành viên", RoleMember}, {"người cùng thay đổi", RoleMember},
}

type rolePhrase struct {
	key, role string
	words     int
}

var phrases []rolePhrase

func init() {
	for _, p := range rolePhrases {
		phrases = append(phrases, rolePhrase{key(p.text), p.role, len(strings.Fields(p.text))})
	}
}

// loose is the edit distance allowed to a phrase found anywhere in a
// longer text: half a label's, as the text offers many places to match.
func loose(n int) int { return tolerance(n) / 2 }

// match is a label found on a row: its words [start, end), the qualifier
// that follows up to valStart, and the role they name.
type match struct {
	lab        *label
	start, end int
	valStart   int
	role       string
	dist       int
}

// numbering: "1.", "a)", "1.1.", "II.", "-": what opens a numbered line.
func numbering(t token) bool {
	s := strings.TrimSpace(t.text)
	if s == "" {
		return true
	}
	if s == "-" || s == "+" || s == "*" || s == "•" {
		return true
	}
	last := s[len(s)-1]
	if last != '.' && last != ')' {
		return false
	}
	body := strings.TrimRight(s, ".)")
	if body == "" {
		return true
	}
	if len([]rune(body)) <= 2 && strings.IndexFunc(body, unicode.IsUpper) < 0 && strings.IndexFunc(body, unicode.IsDigit) < 0 {
		return true // a), đ)
	}
	// "1.", "1.2.", "12)", "II.": numbers of two digits at most, or
	// Roman ones; "1975." is a year. OCR reads the dot between numbers
	// as a dash or a comma now and then ("1-1.").
	for _, part := range strings.Split(strings.NewReplacer("-", ".", ",", ".").Replace(body), ".") {
		if part == "" || len(part) > 4 {
			return false
		}
		digits := strings.Trim(part, "0123456789") == ""
		roman := strings.Trim(part, "IVXivx") == ""
		if !digits && !roman || digits && len(part) > 2 {
			return false
		}
	}
	return true
}

// junk is a word OCR made of specks, a seal's ring or a stroke of a
// signature: no vowel, or symbols among its letters.
func junk(t token) bool {
	letters, vowels, other := 0, 0, 0
	for _, r := range fold(strings.Trim(t.text, ".,;:()\"'“”‘’-")) {
		if r == '/' || r == '-' || r == '\'' {
			continue
		}
		switch {
		case strings.ContainsRune("aeiouy", r):
			vowels++
			letters++
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
		default:
			other++
		}
	}
	// Abbreviations in capitals ("ĐT", "TP") have no vowel either.
	return letters == 0 && !strings.ContainsAny(t.text, "0123456789") ||
		letters > 0 && vowels == 0 && letters < 4 && !isUpperWord(t.text) || other > 1
}

// findLabels finds the labels on a row, left to right.
func findLabels(r *row) []match {
	var out []match
	first := 0
	for first < len(r.toks) && (numbering(r.toks[first]) || junk(r.toks[first])) {
		first++
	}
	// Words in parentheses are instructions ("(Ký, ghi rõ họ, chữ đệm,
	// tên)"), not labels.
	inParen := make([]bool, len(r.toks))
	depth := 0
	for i, t := range r.toks {
		depth += strings.Count(t.text, "(")
		inParen[i] = depth > 0
		depth = max(0, depth-strings.Count(t.text, ")"))
	}
	for i := 0; i < len(r.toks); {
		if inParen[i] {
			i++
			continue
		}
		m, ok := labelAt(r, i, i == first)
		if !ok {
			i++
			continue
		}
		qualify(r, &m)
		out = append(out, m)
		i = max(m.valStart, m.end)
	}
	return out
}

// labelAt finds the best label starting at word i.
func labelAt(r *row, i int, opensRow bool) (match, bool) {
	if r.toks[i].key == "" || r.taken[i] {
		return match{}, false
	}
	var best match
	found := false
	bestScore := 2.0
	for li := range labels {
		lab := &labels[li]
		if lab.opens && !opensRow {
			continue
		}
		tol := tolerance(len(lab.key))
		window := ""
		for k := 1; k <= lab.words+2 && i+k <= len(r.toks); k++ {
			t := r.toks[i+k-1]
			if r.taken[i+k-1] {
				break
			}
			window += t.key
			if len(window) > len(lab.key)+tol {
				break
			}
			if len(window) < len(lab.key)-tol {
				if t.colon {
					break
				}
				continue
			}
			d := distanceUpTo(window, lab.key, tol)
			if d > tol {
				if t.colon {
					break
				}
				continue
			}
			if (lab.opens || lab.colon) && !t.colon && !(i+k < len(r.toks) && strings.HasPrefix(r.toks[i+k].text, "(")) {
				continue
			}
			// A misread label is one only where a colon closes it, or,
			// opening its line, where it is long enough not to be a
			// misread value: "tỉnh Nam Định" is one edit from "sinh năm",
			// "Vinh, ngày" from "sinh ngày".
			if d > 0 && !t.colon && (!opensRow || len(lab.key) < 10) {
				continue
			}
			// "họ tên)" closes an instruction in parentheses whose
			// opening OCR lost.
			if strings.Contains(t.text, ")") {
				continue
			}
			// The label's last word must end where a word ends in the
			// label: "Số" alone is no "Số CCCD".
			score := float64(d) / float64(len(lab.key)+1)
			if !found || score < bestScore || score == bestScore && len(lab.key) > len(best.lab.key) {
				best = match{lab: lab, start: i, end: i + k, dist: d}
				bestScore = score
				found = true
			}
			if t.colon {
				break
			}
		}
	}
	if !found {
		return anchorAt(r, i)
	}
	return best, found
}

// anchors are single words that end a label whose other words a seal, a
// signature or specks made unreadable: "...nhân/CCCD:" is still the
// number's label, "... m sinh:" the date of birth's. The value must then
// read as what the anchor promises (a well-formed number, a date), or
// nothing is taken.
var anchors = []struct {
	lab      label
	contains []string
	suffix   string
}{
	{label{key: "cccd", kind: kIDNumber}, []string{"cccd", "cmnd", "dinhdanh"}, ""},
	{label{key: "sinh", kind: kDateOfBirth}, nil, "sinh"},
}

func anchorAt(r *row, i int) (match, bool) {
	t := r.toks[i]
	if !t.colon {
		return match{}, false
	}
	for k := range anchors {
		a := &anchors[k]
		hit := a.suffix != "" && strings.HasSuffix(t.key, a.suffix)
		for _, c := range a.contains {
			hit = hit || strings.Contains(t.key, c)
		}
		if hit {
			return match{lab: &a.lab, start: i, end: i + 1, dist: 1}, true
		}
	}
	return match{}, false
}

// qualify reads what stands between a label and its value: a qualifier
// ending in a colon ("người mẹ:", "(viết chữ in hoa):", "của chủ hộ:"), or,
// when OCR lost the colon, a role phrase; the label's own role otherwise.
func qualify(r *row, m *match) {
	m.valStart = m.end
	m.role = m.lab.role
	if r.toks[m.end-1].colon {
		// OCR's colon in the middle of a label: "Họ, chữ đệm, tên: người
		// mẹ:". A role phrase closed by a second colon still qualifies it.
		for c := m.end; c < len(r.toks) && c < m.end+5 && qualifierWord(r.toks[c]); c++ {
			if r.toks[c].colon {
				if role := phraseRole(r.toks[m.end:c+1], false); role != "" {
					m.role, m.valStart = role, c+1
				}
				break
			}
		}
		return
	}
	// A colon within a few words, over nothing that could be a value.
	paren := false
	for c := m.end; c < len(r.toks) && c < m.end+8; c++ {
		t := r.toks[c]
		if r.taken[c] || strings.ContainsAny(t.text, "0123456789") {
			break
		}
		if strings.HasPrefix(t.text, "(") || strings.HasPrefix(t.text, "/") {
			paren = true
		}
		if !paren && !qualifierWord(t) {
			break
		}
		if strings.HasSuffix(t.text, ")") {
			paren = false
		}
		if t.colon {
			m.valStart = c + 1
			if role := phraseRole(r.toks[m.end:c+1], true); role != "" {
				m.role = role
			}
			return
		}
	}
	// No colon: a role phrase right after the label still qualifies it.
	best, bestEnd := "", 0
	for k := 1; k <= 5 && m.end+k <= len(r.toks); k++ {
		ws := r.toks[m.end : m.end+k]
		if !qualifierWord(ws[len(ws)-1]) {
			break
		}
		if role := phraseRole(ws, false); role != "" {
			best, bestEnd = role, m.end+k
		}
	}
	if best != "" {
		m.role, m.valStart = best, bestEnd
	}
}

// qualifierWord: a word of a qualifier, which is lower-case prose or an
// abbreviation, never a value in capitals.
func qualifierWord(t token) bool {
	for _, r := range t.text {
		if unicode.IsLetter(r) {
			if unicode.IsLower(r) {
				return true
			}
			k := t.key
			return k == "cccd" || k == "cmnd" || k == "cmt" || strings.HasPrefix(k, "cccd") || strings.HasPrefix(k, "cmnd")
		}
		if r == '(' || r == '/' {
			continue
		}
		return false
	}
	return false
}

// phraseRole names the role that words name, if they name one: anywhere
// among them when within (a qualifier up to its colon), else the words
// must be the phrase.
func phraseRole(ws []token, anywhere bool) string {
	var text string
	for _, t := range ws {
		text += t.key
	}
	if text == "" {
		return ""
	}
	best, bestLen := "", 0
	for _, p := range phrases {
		tol := tolerance(len(p.key))
		var d int
		if anywhere && len(p.key) > 3 {
			d, _ = within(p.key, text)
			tol = loose(len(p.key))
		} else {
			d = distanceUpTo(p.key, text, tol)
			if len(p.key) <= 3 && anywhere {
				// Short words (mẹ, cha, vợ) only as words of their own.
				d = tol + 1
				for _, t := range ws {
					if t.key == p.key {
						d = 0
					}
				}
			}
		}
		if d <= tol && len(p.key) > bestLen {
			best, bestLen = p.role, len(p.key)
		}
	}
	return best
}

// sectionRole reads a row without labels as a section heading that names
// whose fields follow ("BÊN ĐƯỢC ỦY QUYỀN (Bên B):", "Đề nghị cơ quan đăng
// ký khai sinh cho người dưới đây:"), if it is one. A heading is short, or
// in capitals, or ends in a colon; running prose is none of these.
func sectionRole(r *row) string {
	var live []token
	for i, t := range r.toks {
		if !r.taken[i] {
			live = append(live, t)
		}
	}
	if len(live) == 0 {
		return ""
	}
	upper, letters := 0, 0
	for _, t := range live {
		for _, c := range t.text {
			if unicode.IsLetter(c) {
				letters++
				if unicode.IsUpper(c) {
					upper++
				}
			}
		}
	}
	last := live[len(live)-1]
	heading := len(live) <= 8 || last.colon || strings.HasSuffix(last.text, ":)") || letters > 0 && upper*10 >= letters*7
	var text string
	for _, t := range live {
		text += t.key
	}
	best, bestLen := "", 0
	for _, p := range phrases {
		if p.words < 2 || len(p.key) < 6 {
			continue // "vợ", "cha", "bên a": words of prose as often
		}
		d, at := within(p.key, text)
		// A long phrase closing its line introduces what follows even
		// where OCR lost the colon: "... cho người có tên dưới đây".
		closing := len(p.key) >= 12 && at+len(p.key) >= len(text)-4
		if d <= loose(len(p.key)) && (heading || closing) && len(p.key) > bestLen {
			best, bestLen = p.role, len(p.key)
		}
	}
	return best
}
