package extract

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sohoa/sohoa/citizen"
)

// assembler reads the people off a document's rows, top to bottom. A
// field goes to the person its label's qualifier names ("... người mẹ:"),
// else to the person of the section it stands in ("BÊN ĐƯỢC ỦY QUYỀN",
// "Đề nghị ... cho người dưới đây:"), else to the person the fields above
// it were about; a second name in the same role starts another person.
type assembler struct {
	rows    [][]*row
	labels  [][][]match
	people  []*Person
	current *Person
	section string
	heading [2]int // page index and row of the last section heading
	now     time.Time
}

func people(pages [][]*row, now time.Time) []Person {
	a := &assembler{rows: pages, heading: [2]int{-1, -1}, now: now}
	for p, rs := range pages {
		var ms [][]match
		for _, r := range rs {
			ms = append(ms, findLabels(r))
		}
		a.labels = append(a.labels, ms)
		for i := range rs {
			a.row(p, i)
		}
	}
	// A person is someone a name, a number or a date of birth names; a
	// nationality or an address alone, misplaced by a misread line, is
	// nobody.
	var out []Person
	for _, p := range a.people {
		checkNumbers(p, now)
		if p.Name != nil || p.ID != nil || p.LegacyID != nil || p.DateOfBirth != nil {
			out = append(out, *p)
		}
	}
	return out
}

func (a *assembler) row(p, i int) {
	r, ms := a.rows[p][i], a.labels[p][i]
	if len(ms) == 0 {
		if role := sectionRole(r); role != "" {
			a.section, a.current, a.heading = role, nil, [2]int{p, i}
			return
		}
		// A name in capitals on a line of its own under a heading.
		if a.heading == [2]int{p, i - 1} {
			if toks := a.live(r, 0, len(r.toks)); len(toks) >= 2 && allCapitals(toks) {
				if f := readName(r.page, toks); f != nil && f.Value != "" && len(f.Boxes) == len(toks) {
					a.take(r, 0, len(r.toks))
					a.assign(FieldName, "", f)
				}
			}
		}
		return
	}
	pre := a.live(r, 0, ms[0].start)
	for len(pre) > 0 && (numbering(pre[0]) || junk(pre[0])) {
		pre = pre[1:]
	}
	// A heading with a label inside it: "Đề nghị cấp Giấy xác nhận tình
	// trạng hôn nhân cho người có tên dưới đây:".
	if len(pre) > 0 {
		if role := sectionRole(r); role != "" {
			a.section, a.current, a.heading = role, nil, [2]int{p, i}
		}
	}
	// A line that opens with a name before its first label names a new
	// person: "a) NGUYỄN VĂN AN, sinh ngày ..., số định danh cá nhân ...".
	if inline := ms[0].lab.kind; len(pre) >= 2 && (strings.HasSuffix(pre[len(pre)-1].text, ",") ||
		inline == kDateOfBirth || inline == kYearOfBirth || inline == kIDNumber) {
		if f := readName(r.page, pre); f != nil && f.Value != "" && len(f.Boxes) == len(pre) {
			role := a.section
			if role == "" {
				role = RoleRegistered
			}
			a.take(r, 0, ms[0].start)
			a.current = a.newPerson(role)
			a.current.Name = f
		}
	}
	for j, m := range ms {
		end := len(r.toks)
		if j+1 < len(ms) {
			end = ms[j+1].start
		}
		vals := a.live(r, m.valStart, end)
		if k := m.lab.kind; k != kName && k != kAddressee {
			vals = meaningful(vals)
		}
		a.take(r, m.valStart, end)
		if m.lab.kind == kOther {
			continue
		}
		var f *Field
		field := ""
		if len(vals) > 0 {
			if m.lab.kind == kPermanentAddress || m.lab.kind == kCurrentAddress {
				vals = trimSpecks(beforeGap(vals))
				vals = append(vals, a.continuation(p, i, vals)...)
			}
			f, field = a.read(m, r.page, vals)
		}
		// Nothing on the label's line, or nothing that reads as its
		// value: the value was typed on the dotted line below.
		if (f == nil || f.Value == "") && j == len(ms)-1 && m.lab.kind != kAddressee {
			if next, at := a.nextLine(p, i, m.lab.kind); len(next) > 0 {
				if m.lab.kind == kPermanentAddress || m.lab.kind == kCurrentAddress {
					next = trimSpecks(beforeGap(next))
					next = append(next, a.continuation(p, at, next)...)
				}
				f, field = a.read(m, a.rows[p][at].page, next)
			}
		}
		// An anchor promises a value only if one reads.
		if f != nil && (m.lab.words > 0 || f.Value != "") {
			a.assign(field, m.role, f)
		} else if m.role != "" && j == len(ms)-1 {
			// A label that names a role and ends its line with no value
			// heads the lines below ("tiếp nhận hồ sơ của:" above
			// "Ông/bà: ...", where the paragraph broke before it).
			a.section, a.current = m.role, nil
		}
	}
}

// meaningful drops the tokens with neither letter nor digit: leader dots
// and marks OCR made of specks.
func meaningful(toks []token) []token {
	var out []token
	for _, t := range toks {
		if strings.IndexFunc(t.text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, t)
		}
	}
	return out
}

// read reads a label's value.
func (a *assembler) read(m match, page int, vals []token) (*Field, string) {
	labelQ := 1 - float64(m.dist)/float64(len(m.lab.key)+1)
	var f *Field
	field := ""
	switch m.lab.kind {
	case kName:
		f, field = readName(page, vals), FieldName
	case kAddressee:
		// An office, unless a citizen is addressed by title.
		if len(vals) < 2 || !honorifics[vals[0].key] && !(strings.Contains(vals[0].text, "/") && honorifics[key(strings.Split(vals[0].text, "/")[0])]) {
			return nil, ""
		}
		f, field = readName(page, vals), FieldName
	case kDateOfBirth:
		f, field = readDate(page, vals, true, a.now), FieldDateOfBirth
	case kYearOfBirth:
		f, field = readDate(page, vals, true, a.now), FieldDateOfBirth
	case kGender:
		f, field = readGender(page, vals), FieldGender
	case kNationality:
		f, field = readNationality(page, vals), FieldNationality
	case kEthnicity:
		f, field = readEthnicity(page, vals), FieldEthnicity
	case kIDNumber:
		var legacy bool
		f, legacy = readNumber(page, vals)
		field = FieldID
		if legacy || f != nil && f.Value == "" && strings.Contains(m.lab.key, "cmnd") {
			field = FieldLegacyID
		}
	case kPermanentAddress:
		f, field = readAddress(page, vals), FieldPermanentAddress
	case kCurrentAddress:
		f, field = readAddress(page, vals), FieldCurrentAddress
	case kPhone:
		f, field = readPhone(page, vals), FieldPhone
	}
	if f == nil {
		return nil, ""
	}
	f.Confidence *= labelQ
	return f, field
}

// assign gives a field to the person the role, the section or the fields
// above name.
func (a *assembler) assign(field, role string, f *Field) {
	if role != "" {
		a.section = role
	} else {
		role = a.section
	}
	var target *Person
	switch {
	case role != "" && (a.current == nil || a.current.Role != role):
		for i := len(a.people) - 1; i >= 0; i-- {
			if p := a.people[i]; p.Role == role && *p.slot(field) == nil {
				target = p
				break
			}
			if a.people[i].Role == role {
				break // the latest of the role has it already
			}
		}
		if target == nil {
			target = a.newPerson(role)
		}
	case a.current != nil:
		target = a.current
	default:
		target = a.newPerson(RoleRegistered)
	}
	if old := *target.slot(field); old != nil {
		if old.Value == "" && f.Value != "" && field != FieldName {
			*target.slot(field) = f
			a.current = target
			return
		}
		target = a.newPerson(target.Role)
	}
	*target.slot(field) = f
	a.current = target
}

func (a *assembler) newPerson(role string) *Person {
	p := &Person{Role: role}
	a.people = append(a.people, p)
	return p
}

// live are the row's words in [i, j) no field has taken yet.
func (a *assembler) live(r *row, i, j int) []token {
	var out []token
	for k := i; k < j && k < len(r.toks); k++ {
		if r.taken[k] || k == i && len(out) == 0 && numbering(r.toks[k]) && k < j-1 {
			continue
		}
		out = append(out, r.toks[k])
	}
	return out
}

func (a *assembler) take(r *row, i, j int) {
	for k := i; k < j && k < len(r.toks); k++ {
		r.taken[k] = true
	}
}

// below reports whether row j lies right under row i, at most a blank
// line between them.
func below(ri, rj *row) bool {
	return rj.box[1]-ri.box[3] < 2*max(ri.height(), 1)
}

// nextLine is the value of a label that ends its row with nothing after
// it: the words that open the next line, before any label there, when
// they read as a value of the kind.
func (a *assembler) nextLine(p, i int, k kind) ([]token, int) {
	rs := a.rows[p]
	if i+1 >= len(rs) || !below(rs[i], rs[i+1]) {
		return nil, i
	}
	n, ms := rs[i+1], a.labels[p][i+1]
	end := len(n.toks)
	if len(ms) > 0 {
		end = ms[0].start
	} else if sectionRole(n) != "" {
		return nil, i
	}
	toks := a.live(n, 0, end)
	if len(toks) == 0 {
		return nil, i
	}
	var ok bool
	switch k {
	case kName, kAddressee:
		f := readName(n.page, toks)
		ok = f != nil && f.Value != ""
	case kDateOfBirth, kYearOfBirth:
		f := readDate(n.page, toks, true, a.now)
		ok = f != nil && f.Value != ""
	case kIDNumber:
		f, _ := readNumber(n.page, toks)
		ok = f != nil
	case kPhone:
		f := readPhone(n.page, toks)
		ok = f != nil && f.Value != ""
	case kPermanentAddress, kCurrentAddress:
		ok = addressLike(toks)
	default:
		ok = len(toks) <= 4
	}
	if !ok {
		return nil, i
	}
	a.take(n, 0, end)
	return toks, i + 1
}

// continuation is the rest of an address that went on over further
// lines: up to two, while the address does not yet end with its province
// and the next line reads as part of one. A line without labels that
// starts off both the address's margins (its line's and its value's), or
// has no word OCR read with some confidence, is a seal's or a signature's
// marks that OCR put between the two, and is passed over.
func (a *assembler) continuation(p, i int, vals []token) []token {
	rs := a.rows[p]
	var more []token
	prev, lines := rs[i], 0
	for j := i + 1; j < len(rs) && lines < 2; j++ {
		sofar := append(slices.Clip(vals), more...)
		if complete(joinText(sofar)) || !below(prev, rs[j]) {
			break
		}
		n, ms := rs[j], a.labels[p][j]
		end := len(n.toks)
		if len(ms) > 0 {
			end = ms[0].start
		} else if sectionRole(n) != "" {
			break
		}
		// Leader dots and specks around the words are no words of the line.
		toks := trimSpecks(beforeGap(meaningful(a.live(n, 0, end))))
		for len(toks) > 0 && junk(toks[0]) {
			toks = toks[1:]
		}
		// The words that finish the province's name, where the line broke
		// inside it and a seal's marks may follow them ("tỉnh Đắk" above
		// "Lắk"): however unsure OCR was of them (the address's own check
		// then holds it to its confidence).
		if k := finishing(sofar, toks); k > 0 && len(ms) == 0 && aligned(toks[0], rs[i], vals) {
			a.take(n, 0, end)
			more = append(more, toks[:k]...)
			break
		}
		if len(ms) == 0 && len(toks) > 0 && (!aligned(toks[0], rs[i], vals) || !textual(toks)) {
			continue
		}
		// A line of the address's own words, or the few that end it
		// ("Nội", "Lắk") where it broke inside a name.
		if len(toks) == 0 || !(addressLike(toks) && len(toks) <= 10) && (len(toks) > 3 || end < len(n.toks) || !nameWords(toks)) {
			break
		}
		a.take(n, 0, end)
		more = append(more, toks...)
		prev, lines = n, lines+1
		if end < len(n.toks) {
			break
		}
	}
	return more
}

// finishing returns how many of the first words of toks, up to three,
// make the address vals complete, or 0.
func finishing(vals, toks []token) int {
	for k := 1; k <= min(3, len(toks)); k++ {
		if complete(joinText(append(slices.Clip(vals), toks[:k]...))) {
			return k
		}
	}
	return 0
}

// aligned reports whether a line that starts with t starts at the left
// edge of row r or under the first word of the value vals on it, within a
// letter's height or two.
func aligned(t token, r *row, vals []token) bool {
	h := max(t.box[3]-t.box[1], 1)
	near := func(x int) bool { return t.box[0] > x-2*h && t.box[0] < x+2*h }
	return near(r.box[0]) || len(vals) > 0 && near(vals[0].box[0])
}

// textual: a line with a word of letters that OCR is fairly sure of, as
// a line of print has and the marks of a seal or a signature seldom do.
func textual(toks []token) bool {
	for _, t := range toks {
		if t.conf >= 50 && lettersOnly(strings.Trim(t.text, ".,;:"+quotes)) {
			return true
		}
	}
	return false
}

// nameWords: capitalised words, as the names of places are written.
func nameWords(toks []token) bool {
	for _, t := range toks {
		if _, ok := nameWord(t.text); !ok {
			return false
		}
	}
	return true
}

func allCapitals(toks []token) bool {
	for _, t := range toks {
		if !isUpperWord(strings.TrimRight(t.text, ",")) {
			return false
		}
	}
	return true
}

// checkNumbers holds each identification number to its structure and to
// the date of birth and gender its holder's fields give; a number that
// fails keeps its Raw, with the reason, and no Value.
func checkNumbers(p *Person, now time.Time) {
	if f := p.ID; f != nil && f.Value != "" {
		var h citizen.Holder
		if d := p.DateOfBirth; d != nil && len(d.Value) >= 4 {
			h.BirthYear = atoi(d.Value[:4])
		}
		if g := p.Gender; g != nil {
			switch g.Value {
			case "Nam":
				h.Sex = citizen.Male
			case "Nữ":
				h.Sex = citizen.Female
			}
		}
		if _, err := citizen.ParseIDOf(f.Value, h, now); err != nil {
			f.reject("%v", err)
		}
	}
	if f := p.LegacyID; f != nil && f.Value != "" {
		if _, err := citizen.ParseLegacyID(f.Value); err != nil {
			f.reject("%v", err)
		}
	}
}
