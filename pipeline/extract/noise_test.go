package extract

import (
	"strconv"
	"strings"
	"testing"
)

// What OCR makes of degraded scans besides misread letters: specks read
// as letters or marks glued to words, stray words after a value, seals
// between a value's lines, labels run into their values, words it only
// guessed. Each rule below has a case where it applies and one where it
// must leave real content alone.

// laid lays lines out as page does (20 px a letter, 15 between words, a
// line every 50 px, 30 px high), with two marks a token may carry: ">N"
// alone moves on N px, as a wide space; "word@C" gives the word OCR's
// confidence C (90 otherwise).
func laid(lines ...string) Page {
	p := Page{Number: 1}
	for i, l := range lines {
		x, y := 200, 100+50*i
		for _, w := range strings.Fields(l) {
			if n, err := strconv.Atoi(strings.TrimPrefix(w, ">")); err == nil && strings.HasPrefix(w, ">") {
				x += n
				continue
			}
			conf := 90.0
			if at := strings.LastIndex(w, "@"); at > 0 {
				c, err := strconv.ParseFloat(w[at+1:], 64)
				if err != nil {
					panic("laid: bad confidence in " + w)
				}
				w, conf = w[:at], c
			}
			n := len([]rune(w))
			p.Words = append(p.Words, Word{Text: w, Box: [4]int{x, y, x + 20*n, y + 30}, Confidence: conf, Line: i})
			x += 20*n + 15
		}
	}
	return p
}

func extractPage(p Page) Metadata { return Extract([]Page{p}, now) }

// field is the single person's field, failing when there is none.
func field(t *testing.T, m Metadata, name string) *Field {
	t.Helper()
	f := only(t, m).Field(name)
	if f == nil {
		t.Fatalf("no %s", name)
	}
	return f
}

// A word whose box is too small to hold a letter is a speck OCR read as
// one ("huyện Củ C Chi", the C a 3-pixel dot); a letter of the text's
// size, alone, is a word.
func TestSpecksReadAsLetters(t *testing.T) {
	p := laid("Họ và tên: NGUYỄN VĂN A", "Nơi cư trú: xã Tân Thạnh Đông, huyện Củ C Chi, Thành phố Hồ Chí Minh")
	for i, w := range p.Words {
		if w.Text == "C" {
			p.Words[i].Box = [4]int{w.Box[0], w.Box[1], w.Box[0] + 3, w.Box[1] + 3}
		}
	}
	m := extractPage(p)
	if got := field(t, m, FieldCurrentAddress).Value; got != "xã Tân Thạnh Đông, huyện Củ Chi, Thành phố Hồ Chí Minh" {
		t.Errorf("address %q: the speck read as C is in it", got)
	}
	if got := field(t, m, FieldName).Value; got != "NGUYỄN VĂN A" {
		t.Errorf("name %q: a one-letter syllable of the text's size is a word", got)
	}
}

// Quote marks OCR glues to a word of a name are not the name's; one
// inside a word is ("H'MÔN").
func TestNameWithGluedMarks(t *testing.T) {
	for _, c := range []struct{ line, raw, want string }{
		{"Họ, chữ đệm và tên chủ hộ: HUỲNH 'CÔNG SƠN", "HUỲNH 'CÔNG SƠN", "HUỲNH CÔNG SƠN"},
		{"Họ tên: 'NGUYỄN THỊ MAI`", "'NGUYỄN THỊ MAI`", "NGUYỄN THỊ MAI"},
		{"Họ và tên: H'MÔN NIÊ", "H'MÔN NIÊ", "H'MÔN NIÊ"},
	} {
		f := field(t, extract(c.line, "Số CCCD: 001090012345"), FieldName)
		if f.Raw != c.raw || f.Value != c.want {
			t.Errorf("%s: raw %q value %q, want raw %q value %q", c.line, f.Raw, f.Value, c.raw, c.want)
		}
	}
}

// A speck in a word's space between two words of a name does not end it
// when the name goes on, in its case, to the end of the value; leader
// dots before another value, or words that are no name's, still end it.
func TestSpeckInsideName(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"Họ, chữ đệm, tên; Phạm ( Công Khánh", "PHẠM CÔNG KHÁNH"},
		{"Họ và tên: LÊ „ THỊ LAN", "LÊ THỊ LAN"},
		{"Họ và tên: NGUYỄN VĂN AN - Trưởng Phòng", "NGUYỄN VĂN AN"},
		{"Họ và tên: Nguyễn Văn An - Trưởng phòng", "NGUYỄN VĂN AN"},
		{"Họ và tên: Nguyễn Văn An >100 . >100 Nam", "NGUYỄN VĂN AN"},
	} {
		f := field(t, extractPage(laid(c.line, "Số CCCD: 001090012345")), FieldName)
		if f.Value != c.want {
			t.Errorf("%s: name %q, want %q", c.line, f.Value, c.want)
		}
	}
}

// A value ends where a space wider than two letters' height opens after
// its words: what stands beyond is another column, a mark or specks.
func TestWideSpaceEndsValue(t *testing.T) {
	m := extractPage(laid(
		"Họ và tên: LÊ VĂN AN >200 L",
		"Nơi cư trú: Số 15/2 đường Lê Duẩn, thành phố Đà Nẵng, >200 TP",
	))
	if got := field(t, m, FieldName).Value; got != "LÊ VĂN AN" {
		t.Errorf("name %q", got)
	}
	if f := field(t, m, FieldCurrentAddress); f.Raw != "Số 15/2 đường Lê Duẩn, thành phố Đà Nẵng," {
		t.Errorf("address read off %q", f.Raw)
	}
	// Word spaces, however many, keep a value whole.
	m = extractPage(laid("Họ và tên: LÊ VĂN A", "Nơi cư trú: Số 15/2 đường Lê Duẩn, phường Thạc Gián, quận Thanh Khê, thành phố Đà Nẵng"))
	if got := field(t, m, FieldName).Value; got != "LÊ VĂN A" {
		t.Errorf("name %q", got)
	}
	if got := field(t, m, FieldCurrentAddress).Value; got != "Số 15/2 đường Lê Duẩn, phường Thạc Gián, quận Thanh Khê, thành phố Đà Nẵng" {
		t.Errorf("address %q", got)
	}
}

// An address broken inside a name goes on with the name's end, whatever
// specks OCR read beside it; a line of digits or prose is no end of it.
func TestContinuationPastSpecks(t *testing.T) {
	m := extractPage(laid(
		"Họ và tên: LƯU ĐÌNH MẠNH",
		"Hộ khẩu thường trú: Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk",
		"Lắk . >300 : >200 k",
	))
	if got := field(t, m, FieldPermanentAddress).Value; got != "Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk" {
		t.Errorf("address %q", got)
	}
	// A speck OCR read as letters left of the margin opens the line.
	p := laid("Họ và tên: LƯƠNG THU UYÊN", "Nơi cư trú: Số 15/2 đường Lê Duẩn, quận Thanh Khê, thành", "phố Đà Nẵng")
	p.Words = append(p.Words, Word{Text: "Đs", Box: [4]int{130, 200, 170, 230}, Confidence: 0, Line: 2})
	if got := field(t, extractPage(p), FieldCurrentAddress).Value; got != "Số 15/2 đường Lê Duẩn, quận Thanh Khê, thành phố Đà Nẵng" {
		t.Errorf("address %q", got)
	}
	for _, next := range []string{"22", "Tôi cam đoan những nội dung trên là đúng"} {
		m := extractPage(laid(
			"Họ và tên: LƯU ĐÌNH MẠNH",
			"Hộ khẩu thường trú: Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk",
			next,
		))
		f := field(t, m, FieldPermanentAddress)
		if f.Raw != "Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk" {
			t.Errorf("line %q taken into the address: %q", next, f.Raw)
		}
	}
}

// A seal's marks that OCR reads as lines of their own between an address
// and its last line (off the address's margins, or read with no
// confidence) are passed over; a line at the margin that is not the
// address's still ends it.
func TestContinuationPastSeal(t *testing.T) {
	p := laid(
		"Họ và tên: TRẦN CÔNG TRUNG",
		"Địa chỉ liên hệ: Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk",
		"Lắk, >1000 :",
		"Điện thoại: 0936 599 847",
	)
	// The seal's marks, read as two lines of their own, reach a little
	// higher than the address's last line (y 200 to 230) and so come
	// before it in reading order; one starts at the margin.
	p.Words = append(p.Words,
		Word{Text: "^", Box: [4]int{340, 192, 356, 202}, Confidence: 70, Line: 10},
		Word{Text: "22", Box: [4]int{410, 186, 470, 204}, Confidence: 42, Line: 10},
		Word{Text: "2", Box: [4]int{200, 195, 212, 212}, Confidence: 53, Line: 11},
		Word{Text: "IẾ", Box: [4]int{240, 190, 280, 214}, Confidence: 0, Line: 11},
	)
	m := extractPage(p)
	if got := field(t, m, FieldCurrentAddress).Value; got != "Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk" {
		t.Errorf("address %q", got)
	}
	if got := field(t, m, FieldPhone).Value; got != "0936599847" {
		t.Errorf("phone %q", got)
	}
	// A line at the margin that is not the address's still ends it.
	m = extractPage(laid(
		"Họ và tên: TRẦN CÔNG TRUNG",
		"Địa chỉ liên hệ: Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk",
		"Quan hệ với chủ hộ: con",
		"Lắk,",
	))
	if f := field(t, m, FieldCurrentAddress); f.Raw != "Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk" {
		t.Errorf("address read on past the next label: %q", f.Raw)
	}
}

// A province read a letter off, after "tỉnh", is written as the register
// spells it where no other province is as near; elsewhere a letter off is
// another place and stays as read.
func TestProvinceLetterOff(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đát Lắk", "Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk"},
		{"Số 3 phố Lạch Tray, quận Ngô Quyền, thành phố Hải Phòg", "Số 3 phố Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng"},
		// Kiên Giang or Tiền Giang: a letter off both.
		{"Ấp 2, xã Mỹ Lâm, huyện Hòn Đất, tỉnh Xiên Giang", "Ấp 2, xã Mỹ Lâm, huyện Hòn Đất, tỉnh Xiên Giang"},
		// A town a letter from a province.
		{"Ấp 4, xã Thanh Lương, thị xã Bình Long", "Ấp 4, xã Thanh Lương, thị xã Bình Long"},
	} {
		f := field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: "+c.addr), FieldPermanentAddress)
		if f.Value != c.want || f.Raw != c.addr {
			t.Errorf("%s: raw %q value %q, want value %q", c.addr, f.Raw, f.Value, c.want)
		}
	}
}

// Marks OCR glues to an address's words (quotes, a dash before a word, a
// colon after one, a semicolon for a comma) are no part of its value;
// those inside words are ("12-14", "R'Lấp").
func TestAddressWordMarks(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"Thôn 'Quý Dương, xã: Kim Sơn; -huyện Gia Lâm, thành phố Hà Nội", "Thôn Quý Dương, xã Kim Sơn, huyện Gia Lâm, thành phố Hà Nội"},
		{"Số 12-14 đường Nguyễn Du, xã Nhân Cơ, huyện Đắk R'Lấp, tỉnh Đắk Nông", "Số 12-14 đường Nguyễn Du, xã Nhân Cơ, huyện Đắk R'Lấp, tỉnh Đắk Nông"},
	} {
		f := field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: "+c.addr), FieldPermanentAddress)
		if f.Value != c.want || f.Raw != c.addr {
			t.Errorf("%s: raw %q value %q, want value %q", c.addr, f.Raw, f.Value, c.want)
		}
	}
}

// An address that ends at a unit word lost the name after it; one that
// ends with a name written like a unit word ("xã Tiên Xá") did not.
func TestAddressCutShort(t *testing.T) {
	f := field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: Thôn Quý Dương, xã Cẩm Hưng, huyện Cẩm Giàng, tỉnh."), FieldPermanentAddress)
	if f.Value != "" || !strings.Contains(f.Problem, `"tỉnh"`) || f.Raw == "" {
		t.Errorf("address cut short: %+v", f)
	}
	f = field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: Số 5, đường Trần Phú, thành phố"), FieldPermanentAddress)
	if f.Value != "" || !strings.Contains(f.Problem, `"thành phố"`) {
		t.Errorf("address cut short: %+v", f)
	}
	for _, addr := range []string{"Thôn 2, xã Tiên Xá", "Số 7, phường 5", "Số 38 đường Nguyễn Du, Quận 1"} {
		f := field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: "+addr), FieldPermanentAddress)
		if f.Value != addr {
			t.Errorf("%s: value %q, problem %q", addr, f.Value, f.Problem)
		}
	}
}

// "Thường trú:" alone is the permanent address's label where OCR lost
// the words before it or glued them to a mark; without its colon, in
// running text, it is none.
func TestPermanentAddressLabelEnd(t *testing.T) {
	f := field(t, extract("Họ và tên: LÂM THỊ LAN", "- Nœ:thường trú: Thôn Lời, xã Kim Sơn, huyện Gia Lâm, thành phố Hà Nội"), FieldPermanentAddress)
	if f.Value != "Thôn Lời, xã Kim Sơn, huyện Gia Lâm, thành phố Hà Nội" {
		t.Errorf("address %q", f.Value)
	}
	p := only(t, extract("Họ và tên: LÂM THỊ LAN", "Nội dung đề nghị: Đăng ký thường trú vào chỗ ở hợp pháp"))
	if p.PermanentAddress != nil {
		t.Errorf("an address from running text: %+v", p.PermanentAddress)
	}
}

// A label run into its value, the colon lost or read as a letter, is
// still the value's label; a code of a letter or two and digits is one
// word.
func TestLabelGluedToValue(t *testing.T) {
	for _, c := range []struct{ line, field, want string }{
		{"Năm sinhz1997", FieldDateOfBirth, "1997"},
		{"Ngày sinh22/02/1978", FieldDateOfBirth, "1978-02-22"},
		{"Số CCCD001084012345", FieldID, "001084012345"},
		{"Số CCCD: OOl084012345", FieldID, "001084012345"},
	} {
		other := "Họ và tên: NGUYỄN VĂN AN"
		if got := value(only(t, extract(c.line, other)), c.field); got != c.want {
			t.Errorf("%s: %s %q, want %q", c.line, c.field, got, c.want)
		}
	}
	for _, w := range []string{"CH85339", "EVO200", "Số4", "JF33E-5460846", "OOl084012345"} {
		if ts := split(Word{Text: w, Box: [4]int{0, 0, 200, 30}}); len(ts) != 1 {
			t.Errorf("%s cut in %d", w, len(ts))
		}
	}
	if ts := split(Word{Text: "RLL74155512", Box: [4]int{0, 0, 220, 30}}); len(ts) != 2 || ts[0].text != "RLL" || ts[1].box[0] != 60 {
		t.Errorf("RLL74155512 cut as %+v", ts)
	}
}

// A name with a word OCR is less sure of than not, or that runs into a
// word OCR could not read, keeps what was read with no value; an address
// only when OCR all but made a word up.
func TestGuessedWords(t *testing.T) {
	for _, c := range []struct {
		lines []string
		field string
		want  string // the value; empty: rejected, with a problem
	}{
		{[]string{"Họ và tên: LẬM@0 THỊ@22 LAN@30"}, FieldName, ""},
		{[]string{"Họ và tên: Dương Thị Thu Si@36"}, FieldName, ""},
		{[]string{"Họ và tên: LÂM@65 THỊ LAN"}, FieldName, "LÂM THỊ LAN"},
		{[]string{"Họ, chữ đệm, tên: HÀ MINH 2EệG@0"}, FieldName, ""},
		// Specks after it, the lowercase words of a label, are no part of it.
		{[]string{"Họ, chữ đệm, tên: HÀ MINH THẮM >100 l@0"}, FieldName, "HÀ MINH THẮM"},
		{[]string{"Họ, chữ đệm, tên: HÀ MINH THẮM sinh@95 năm@95 1971@95"}, FieldName, "HÀ MINH THẮM"},
		{[]string{"Họ và tên: LÊ VĂN AN", "Nơi cư trú: tân Quý Dương, xã Cẩm Hưng, huyện Cẩm Giàng, nh,@7 Hải Dương"}, FieldCurrentAddress, ""},
		{[]string{"Họ và tên: LÊ VĂN AN", "Nơi cư trú: Thôn Linh Quy,@26 xã Kim Sơn, huyện Gia Lâm, thành phố Hà Nội"}, FieldCurrentAddress,
			"Thôn Linh Quy, xã Kim Sơn, huyện Gia Lâm, thành phố Hà Nội"},
	} {
		lines := append(c.lines, "Số CCCD: 001090012345")
		f := field(t, extractPage(laid(lines...)), c.field)
		if f.Value != c.want || c.want == "" && (f.Problem == "" || f.Raw == "") {
			t.Errorf("%s: value %q raw %q problem %q, want %q", c.lines[len(c.lines)-1], f.Value, f.Raw, f.Problem, c.want)
		}
	}
}

// A letter or two after an address's province are specks; after an
// address that has not reached its province they may be its end.
func TestStrayLettersAfterProvince(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"Buôn Ky, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk L", "Buôn Ky, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk"},
		{"Số 80 phố Phan Đình Phùng, phường Ba Đình, thành phố Hà Nội. a ii", "Số 80 phố Phan Đình Phùng, phường Ba Đình, thành phố Hà Nội"},
		{"Lô A, khu tập thể Thành Công, Khu B", "Lô A, khu tập thể Thành Công, Khu B"},
		{"Số 5 đường Lê Lợi, Thành phố Hồ Chí Minh ĐT 0912", "Số 5 đường Lê Lợi, Thành phố Hồ Chí Minh ĐT 0912"},
	} {
		f := field(t, extract("Họ và tên: NGUYỄN VĂN AN", "Nơi thường trú: "+c.addr), FieldPermanentAddress)
		if f.Value != c.want {
			t.Errorf("%s: value %q, want %q", c.addr, f.Value, c.want)
		}
	}
}

// The identification number's label read from its last words where the
// first are unreadable; words about names that hold no number name none.
func TestNumberLabelEnd(t *testing.T) {
	m := extract(
		"Họ, chữ đệm và tên chủ hộ: BÙI GIA THÀNH",
		"Những thành viên trong hộ gia đình cùng thay đổi:",
		"a) BÙI TIẾN KHÁNH, sinh ngày 12/05/2019, sỹ ðjmh danh cá nhân 048219012345, quan hệ với chủ hộ: con",
	)
	if len(m.People) != 2 || value(&m.People[1], FieldID) != "048219012345" {
		t.Errorf("member's number: %+v", m.People)
	}
	if m := extract("Cơ sở dữ liệu về danh cá nhân chưa có thông tin của người này."); len(m.People) > 0 {
		t.Errorf("people from prose: %+v", m.People)
	}
}

// Specks OCR read before a date line's place do not make it prose; a
// place of prose words still does.
func TestDateLineWithSpecks(t *testing.T) {
	m := extract("TỜ KHAI ĐĂNG KÝ KHAI SINH", ", : Làm tại ¡ phường Bến Nghé, ngày 05. tháng 09 năm 2024")
	if got := fieldValue(m.IssueDate); got != "2024-09-05" {
		t.Errorf("issue date %q", got)
	}
	m = extract("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Căn cứ Luật Cư trú : . ngày 13 tháng 11 năm 2020 và Nghị định số 62/2021/NĐ-CP;")
	if m.IssueDate != nil {
		t.Errorf("a law's date taken for the document's: %+v", m.IssueDate)
	}
}
