package extract

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// page lays lines out as OCR reports them: a word per space-separated
// token, 20 px a letter, a line every 50 px, the lines numbered in order.
// A line holding " | " is two OCR lines side by side (a form's two fields
// read as two blocks), the right one numbered after all the others, as
// Tesseract reads columns.
func page(n int, lines ...string) Page {
	p := Page{Number: n}
	var right []Word
	for i, l := range lines {
		y := 100 + 50*i
		parts := strings.SplitN(l, " | ", 2)
		x := 200
		for k, part := range parts {
			if k == 1 {
				x = max(x+300, 1200)
			}
			for _, w := range strings.Fields(part) {
				wd := Word{Text: w, Box: [4]int{x, y, x + 20*len([]rune(w)), y + 30}, Confidence: 90, Line: i}
				if k == 1 {
					right = append(right, wd)
				} else {
					p.Words = append(p.Words, wd)
				}
				x += 20*len([]rune(w)) + 15
			}
		}
	}
	for _, w := range right {
		w.Line += len(lines)
		p.Words = append(p.Words, w)
	}
	return p
}

func extract(lines ...string) Metadata { return Extract([]Page{page(1, lines...)}, now) }

// only returns the single person extraction found, failing otherwise.
func only(t *testing.T, m Metadata) *Person {
	t.Helper()
	if len(m.People) != 1 {
		js, _ := json.MarshalIndent(m.People, "", " ")
		t.Fatalf("found %d people, want 1: %s", len(m.People), js)
	}
	return &m.People[0]
}

func value(p *Person, field string) string {
	if f := p.Field(field); f != nil {
		return f.Value
	}
	return ""
}

// Each wording of each label, on a line of its own, gives its field.
func TestLabelWordings(t *testing.T) {
	for _, c := range []struct {
		line, field, want string
	}{
		{"Họ và tên: NGUYỄN VĂN AN", FieldName, "NGUYỄN VĂN AN"},
		{"Họ, chữ đệm, tên: TRẦN THỊ BÌNH", FieldName, "TRẦN THỊ BÌNH"},
		{"Họ, chữ đệm và tên: Lê Minh Châu", FieldName, "LÊ MINH CHÂU"},
		{"Họ tên: PHẠM QUỐC DŨNG", FieldName, "PHẠM QUỐC DŨNG"},
		{"1.1. Tên (viết chữ in hoa): VŨ THỊ HẠNH", FieldName, "VŨ THỊ HẠNH"},
		{"Ông/Bà: ĐỖ VĂN KHOA", FieldName, "ĐỖ VĂN KHOA"},
		{"Kính gửi: Bà HOÀNG THỊ LAN", FieldName, "HOÀNG THỊ LAN"},
		{"Ngày, tháng, năm sinh: 05/03/1984", FieldDateOfBirth, "1984-03-05"},
		{"Ngày tháng năm sinh: 5-3-1984", FieldDateOfBirth, "1984-03-05"},
		{"Sinh ngày: 05.03.1984", FieldDateOfBirth, "1984-03-05"},
		{"Ngày sinh: ngày 05 tháng 03 năm 1984", FieldDateOfBirth, "1984-03-05"},
		{"Năm sinh: 1984", FieldDateOfBirth, "1984"},
		{"Giới tính: Nữ", FieldGender, "Nữ"},
		{"Quốc tịch: Việt Nam", FieldNationality, "Việt Nam"},
		{"Dân tộc: Mường", FieldEthnicity, "Mường"},
		{"Số định danh cá nhân: 001084012345", FieldID, "001084012345"},
		{"Số CCCD: 001084012345", FieldID, "001084012345"},
		{"Căn cước công dân số: 001 084 012345", FieldID, "001084012345"},
		{"Giấy tờ tùy thân: CCCD số 001084012345, cấp ngày 12/03/2021", FieldID, "001084012345"},
		{"Số CMND: 012345678", FieldLegacyID, "012345678"},
		{"Số chứng minh nhân dân: 012345678", FieldLegacyID, "012345678"},
		{"Nơi thường trú: Số 12 phố Huế, phường Hàng Bài, quận Hoàn Kiếm, thành phố Hà Nội", FieldPermanentAddress,
			"Số 12 phố Huế, phường Hàng Bài, quận Hoàn Kiếm, thành phố Hà Nội"},
		{"Địa chỉ thường trú: Thôn Đông, xã Tiên Du, huyện Tiên Du, tỉnh Bắc Ninh", FieldPermanentAddress,
			"Thôn Đông, xã Tiên Du, huyện Tiên Du, tỉnh Bắc Ninh"},
		{"Hộ khẩu thường trú: Ấp 2, xã Mỹ Trà, thành phố Cao Lãnh, tỉnh Đồng Tháp", FieldPermanentAddress,
			"Ấp 2, xã Mỹ Trà, thành phố Cao Lãnh, tỉnh Đồng Tháp"},
		{"Nơi cư trú: Xóm 3, xã Hải Thanh, huyện Hải Hậu, tỉnh Nam Định", FieldCurrentAddress,
			"Xóm 3, xã Hải Thanh, huyện Hải Hậu, tỉnh Nam Định"},
		{"Nơi ở hiện tại: Tổ 5, phường 5, thành phố Cà Mau, tỉnh Cà Mau", FieldCurrentAddress,
			"Tổ 5, phường 5, thành phố Cà Mau, tỉnh Cà Mau"},
		{"Số điện thoại: 0912 345 678", FieldPhone, "0912345678"},
		{"Điện thoại liên hệ: 0912.345.678", FieldPhone, "0912345678"},
		{"ĐT: +84 912 345 678", FieldPhone, "0912345678"},
	} {
		t.Run(c.line, func(t *testing.T) {
			// Another field, so that the person is one extraction keeps.
			other := "Họ và tên: NGUYỄN VĂN AN"
			if c.field == FieldName {
				other = "Số CCCD: 001090012345"
			}
			p := only(t, extract(c.line, other))
			if got := value(p, c.field); got != c.want {
				t.Errorf("%s = %q, want %q", c.field, got, c.want)
			}
		})
	}
}

// OCR's usual errors in labels (tone marks lost or wrong, 0 for O, 1 or l
// for I, d for đ, words run together or split, a colon read as a
// semicolon) still find the label; values keep what was read beside what
// it was normalised to.
func TestLabelsAsOCRReadsThem(t *testing.T) {
	for _, c := range []struct {
		line, field, raw, want string
	}{
		{"H0 va ten: NGUYỄN VĂN AN", FieldName, "NGUYỄN VĂN AN", "NGUYỄN VĂN AN"},
		{"Họ và tén; NGUYỄN VĂN AN", FieldName, "NGUYỄN VĂN AN", "NGUYỄN VĂN AN"},
		{"Ho, chu dem, ten: Nguyễn Văn An", FieldName, "Nguyễn Văn An", "NGUYỄN VĂN AN"},
		{"Họvà tên: NGUYỄN VĂN AN", FieldName, "NGUYỄN VĂN AN", "NGUYỄN VĂN AN"},
		{"Họ và tên:NGUYỄN VĂN AN", FieldName, "NGUYỄN VĂN AN", "NGUYỄN VĂN AN"},
		{"Ngay, thang, nam sinh: 0l/O2/1990", FieldDateOfBirth, "0l/O2/1990", "1990-02-01"},
		{"Sinh ngày: 16/1 1/1999", FieldDateOfBirth, "16/1 1/1999", "1999-11-16"},
		{"Số định danh cá nhân: 0O1O9OO12345", FieldID, "0O1O9OO12345", "001090012345"},
		{"So dinh danh ca nhan: 001090012345", FieldID, "001090012345", "001090012345"},
		{"Sô đinh danh cá nhân: 00109001234S", FieldID, "00109001234S", "001090012345"},
		// A seal over the label leaves its last word.
		{"\\ xá á nhân/CCCD: 001178985624", FieldID, "001178985624", "001178985624"},
		{"Ệ vn tháng/ m sinh: 22/02/1978", FieldDateOfBirth, "22/02/1978", "1978-02-22"},
		// A syllable closed by c, ch, p or t cannot lack a tone: the dot
		// below OCR lost is written back.
		{"Họ và tên: LÊ THỊ NGOC NGUYÊT", FieldName, "LÊ THỊ NGOC NGUYÊT", "LÊ THỊ NGỌC NGUYỆT"},
		{"Quoc tich: Viêt Nam", FieldNationality, "Viêt Nam", "Việt Nam"},
		{"Dân tôc: Kính", FieldEthnicity, "Kính", "Kinh"},
		{"Giói tính: Nũ", FieldGender, "Nũ", "Nữ"},
		{"Dia chi thuong tru: Xóm 4, xã Nghi Phong, huyên Nghi Lộc, tỉnh Nghê An", FieldPermanentAddress,
			"Xóm 4, xã Nghi Phong, huyên Nghi Lộc, tỉnh Nghê An", "Xóm 4, xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ An"},
		{"Nơi cư trú: Sô 5 ngỏ 12 đuờng Láng, phuờng Láng Thượng, quân Đống Đa, thành phô Hà Nôi", FieldCurrentAddress,
			"Sô 5 ngỏ 12 đuờng Láng, phuờng Láng Thượng, quân Đống Đa, thành phô Hà Nôi",
			"Số 5 ngõ 12 đường Láng, phường Láng Thượng, quận Đống Đa, thành phố Hà Nội"},
	} {
		t.Run(c.line, func(t *testing.T) {
			other := "Họ và tên: NGUYỄN VĂN AN"
			if c.field == FieldName {
				other = "Số CCCD: 001090012345"
			}
			p := only(t, extract(c.line, other))
			f := p.Field(c.field)
			if f == nil {
				t.Fatalf("no %s", c.field)
			}
			if f.Raw != c.raw || f.Value != c.want {
				t.Errorf("%s: raw %q value %q, want raw %q value %q", c.field, f.Raw, f.Value, c.raw, c.want)
			}
		})
	}
}

// Values stand on the same line as their label or, on forms with narrow
// label columns, on the line below; long addresses go on over further
// lines; OCR reads a line's second field as a line of its own.
func TestValuePlacement(t *testing.T) {
	m := extract(
		"1. Họ, chữ đệm và tên:",
		"LƯƠNG THU UYÊN",
		"2. Ngày, tháng, năm sinh: 12/07/1990 | 3. Giới tính: Nữ",
		"4. Nơi thường trú: Số 15/2 đường Lê Duẩn, phường Thạc Gián, quận Thanh",
		"Khê, thành phố Đà Nẵng",
		"5. Nơi ở hiện tại:",
		"Số 7 đường Hùng Vương, phường Phú Nhuận, thành phố Huế",
		"6. Số CCCD: 048190012345",
		"7. Tôn giáo: Không",
	)
	p := only(t, m)
	for field, want := range map[string]string{
		FieldName:             "LƯƠNG THU UYÊN",
		FieldDateOfBirth:      "1990-07-12",
		FieldGender:           "Nữ",
		FieldPermanentAddress: "Số 15/2 đường Lê Duẩn, phường Thạc Gián, quận Thanh Khê, thành phố Đà Nẵng",
		FieldCurrentAddress:   "Số 7 đường Hùng Vương, phường Phú Nhuận, thành phố Huế",
		FieldID:               "048190012345",
	} {
		if got := value(p, field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
}

// Fields carry their page, the boxes of their words as OCR gave them, and
// a confidence within 0 and 1 that falls with OCR's and with a label read
// only approximately.
func TestFieldPlace(t *testing.T) {
	p := page(3, "Ho va ten: NGUYỄN VĂN AN", "Số CCCD: 001084012345")
	p.Words[4].Confidence = 60 // VĂN, doubtful but read
	m := Extract([]Page{p}, now)
	person := only(t, m)
	name := person.Name
	if name.Page != 3 || len(name.Boxes) != 3 || name.Boxes[0] != p.Words[3].Box || name.Boxes[2] != p.Words[5].Box {
		t.Errorf("name at page %d boxes %v, want page 3 and the boxes of words 3-5", name.Page, name.Boxes)
	}
	id := person.ID
	if !(name.Confidence > 0 && name.Confidence < id.Confidence && id.Confidence <= 1) {
		t.Errorf("confidence: name %.3f (a misread label, a doubtful word), id %.3f", name.Confidence, id.Confidence)
	}
}

// Several people on one form are kept apart by the role their labels'
// qualifiers or their section headings name.
func TestRoles(t *testing.T) {
	m := extract(
		"TỜ KHAI ĐĂNG KÝ KHAI SINH",
		"Kính gửi: Ủy ban nhân dân phường Kim Liên, thành phố Hà Nội",
		"Họ, chữ đệm, tên người yêu cầu: NGUYỄN VĂN HÙNG",
		"Nơi cư trú: Số 5 phố Đào Duy Anh, phường Kim Liên, thành phố Hà Nội",
		"Số định danh cá nhân: 001088012345",
		"Quan hệ với người được đăng ký khai sinh: Cha",
		"Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
		"Họ, chữ đệm, tên: NGUYỄN MINH KHANG",
		"Ngày, tháng, năm sinh: 02/01/2025 | Giới tính: Nam",
		"Họ, chữ đệm, tên người mẹ: TRẦN THỊ THU",
		"Năm sinh: 1990 | Dân tộc: Kinh | Quốc tịch: Việt Nam",
		"Họ, chữ đệm, tên người cha: NGUYỄN VĂN HÙNG",
		"Năm sinh: 1988",
		"Làm tại phường Kim Liên, ngày 20 tháng 01 năm 2025",
		"NGƯỜI YÊU CẦU",
		"(Ký, ghi rõ họ, chữ đệm, tên)",
		"Nguyễn Văn Hùng",
	)
	want := []struct{ role, name, dob string }{
		{RoleApplicant, "NGUYỄN VĂN HÙNG", ""},
		{RoleRegistered, "NGUYỄN MINH KHANG", "2025-01-02"},
		{RoleMother, "TRẦN THỊ THU", "1990"},
		{RoleFather, "NGUYỄN VĂN HÙNG", "1988"},
	}
	if len(m.People) != len(want) {
		js, _ := json.MarshalIndent(m.People, "", " ")
		t.Fatalf("%d people, want %d: %s", len(m.People), len(want), js)
	}
	for i, w := range want {
		p := &m.People[i]
		if p.Role != w.role || value(p, FieldName) != w.name || value(p, FieldDateOfBirth) != w.dob {
			t.Errorf("person %d: %s %q born %q, want %s %q born %q", i, p.Role, value(p, FieldName),
				value(p, FieldDateOfBirth), w.role, w.name, w.dob)
		}
	}
	if value(&m.People[0], FieldID) != "001088012345" || value(&m.People[2], FieldEthnicity) != "Kinh" {
		t.Errorf("the applicant's number or the mother's ethnicity went astray: %+v", m.People)
	}
	if m.DocumentType != TypeBirthRegistration || m.IssueDate == nil || m.IssueDate.Value != "2025-01-20" {
		t.Errorf("document %q dated %v", m.DocumentType, m.IssueDate)
	}
}

// Sections name whose fields follow: the two sides of an authorization.
func TestSections(t *testing.T) {
	m := extract(
		"GIẤY ỦY QUYỀN",
		"BÊN ỦY QUYỀN (Bên A):",
		"Họ và tên: LÊ VĂN TÁM",
		"Ngày sinh: 01/01/1960",
		"Số CMND: 012345678",
		"Ngày cấp: 12/05/2010 | Nơi cấp: Công an Hà Nội",
		"BÊN ĐƯỢC ỦY QUYỀN (Bên B):",
		"Họ và tên: LÊ THỊ CHÍN",
		"Ngày sinh: 09/09/1990",
		"Số CCCD: 001190012345",
	)
	if len(m.People) != 2 {
		t.Fatalf("%d people, want 2: %+v", len(m.People), m.People)
	}
	a, b := &m.People[0], &m.People[1]
	if a.Role != RolePrincipal || value(a, FieldName) != "LÊ VĂN TÁM" || value(a, FieldLegacyID) != "012345678" || value(a, FieldDateOfBirth) != "1960-01-01" {
		t.Errorf("principal: %s %q %q %q", a.Role, value(a, FieldName), value(a, FieldLegacyID), value(a, FieldDateOfBirth))
	}
	if b.Role != RoleAgent || value(b, FieldName) != "LÊ THỊ CHÍN" || value(b, FieldID) != "001190012345" {
		t.Errorf("agent: %s %q %q", b.Role, value(b, FieldName), value(b, FieldID))
	}
}

// TestRoleLabelAsHeading: a label that names a role and ends its line with
// no value ("tiếp nhận hồ sơ của:", where the receipt's paragraph broke
// before it) heads the fields below, whose own labels name no role.
func TestRoleLabelAsHeading(t *testing.T) {
	m := extract(
		"GIẤY BIÊN NHẬN HỒ SƠ",
		"Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân phường An Khánh",
		"tiếp nhận hồ sơ của:",
		"Ông/bà: Lò Thanh Hưng",
		"Số căn cước: 074095108438",
	)
	if len(m.People) != 1 || m.People[0].Role != RoleApplicant || value(&m.People[0], FieldName) != "LÒ THANH HƯNG" {
		t.Errorf("people %+v, want the applicant LÒ THANH HƯNG", m.People)
	}
}

// TestHeadingWithoutItsFirstWord: a section's heading whose "người" OCR
// lost still says whose fields follow.
func TestHeadingWithoutItsFirstWord(t *testing.T) {
	m := extract(
		"TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
		"Họ, chữ đệm, tên người yêu cầu: THÁI KHÁNH ÁNH",
		"Đề nghị cấp Giấy xác nhận tình trạng hôn nhân cho : có tên dưới đây:",
		"Họ và tên: Thái Khánh Ánh",
		"Sinh ngày: 16/05/1989",
	)
	var reg *Person
	for i := range m.People {
		if m.People[i].Role == RoleRegistered {
			reg = &m.People[i]
		}
	}
	if reg == nil || value(reg, FieldDateOfBirth) != "1989-05-16" {
		js, _ := json.Marshal(m.People)
		t.Errorf("no registered person born 1989-05-16: %s", js)
	}
}

// TestAddressOverLines: an address goes on over the line where its
// district's name broke ("quận Ninh" is one letter from Quảng Ninh, but
// no province), and takes the words that finish its province's name on
// the next line, whatever marks follow them there.
func TestAddressOverLines(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"Họ và tên: LÒ THANH HƯNG", "Địa chỉ liên hệ: Tổ 3, số 175 đường 3 Tháng 2, phường An Khánh, quận Ninh", "Kiều, thành phố Cần Thơ"},
			"Tổ 3, số 175 đường 3 Tháng 2, phường An Khánh, quận Ninh Kiều, thành phố Cần Thơ"},
		{[]string{"Họ và tên: LƯƠNG MINH PHONG", "Nơi cư trú: Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk", "Lắk SsỀ NỘN nụ"},
			"Buôn Kram, xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk"},
	} {
		p := only(t, extract(c.lines...))
		got := value(p, FieldCurrentAddress)
		if got == "" {
			got = value(p, FieldPermanentAddress)
		}
		if got != c.want {
			t.Errorf("address %q, want %q", got, c.want)
		}
	}
}

// TestNameAsOCRJoinsIt: a dot OCR read for the space between two words
// of a name, a numbering whose dot it read as a dash, a closing bracket
// or a colon it made of a speck, are no end to the name nor to its label.
func TestNameAsOCRJoinsIt(t *testing.T) {
	for line, want := range map[string]string{
		"1. Họ, chữ đệm và tên: KIỀU.THỊ NGỌC NGUYỆT": "KIỀU THỊ NGỌC NGUYỆT",
		"1-1. Tên (viết chữ in hoa): HÀ ĐÌNH TÀI ”":   "HÀ ĐÌNH TÀI",
		"Họ và tên: LÊ Quốc) VINH":                    "LÊ QUỐC VINH",   // a bracket no bracket opened
		"Ông/Bà: NÔNG NGỌC: OANH":                     "NÔNG NGỌC OANH", // a speck read as a colon
		"Họ và tên: NGUYỄN VĂN AN, NAM":               "NGUYỄN VĂN AN",  // a comma ends it
	} {
		if p := only(t, extract("ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI", line)); value(p, FieldName) != want {
			t.Errorf("%q: name %q, want %q", line, value(p, FieldName), want)
		}
	}
}

// A name in capitals on a line of its own under a section's heading, and
// a document over two pages: the second page's fields go on with the
// person of the first, and carry their page.
func TestNameLineAndPages(t *testing.T) {
	m := Extract([]Page{
		page(1, "GIẤY ỦY QUYỀN", "NGƯỜI ĐƯỢC ỦY QUYỀN:", "TRẦN VĂN BA", "Sinh ngày: 03/04/1975"),
		page(2, "Số CCCD: 031075012345", "Nơi thường trú: Số 3 phố Lạch Tray, phường Đằng Giang, quận Ngô Quyền, thành phố Hải Phòng"),
	}, now)
	p := only(t, m)
	if p.Role != RoleAgent || value(p, FieldName) != "TRẦN VĂN BA" || value(p, FieldID) != "031075012345" ||
		p.Name.Page != 1 || p.ID.Page != 2 || p.PermanentAddress == nil || p.PermanentAddress.Page != 2 {
		js, _ := json.MarshalIndent(p, "", " ")
		t.Errorf("agent over two pages: %s", js)
	}
}

// The members a household form lists, one a line, each a person.
func TestMemberList(t *testing.T) {
	m := extract(
		"Họ, chữ đệm và tên chủ hộ: BÙI GIA THÀNH",
		"Số định danh cá nhân của chủ hộ: 048069012345",
		"Những thành viên trong hộ gia đình cùng thay đổi:",
		"a) BÙI TIẾN KHÁNH, sinh ngày 12/05/2019, số định danh cá nhân 048219012345, quan hệ với chủ hộ: con",
		"- BÙI THU LIÊN, sinh ngày 15/04/2013, số định danh cá nhân 048313012345, quan hệ với chủ hộ: con",
	)
	want := []struct{ role, name, id string }{
		{RoleHouseholdHead, "BÙI GIA THÀNH", "048069012345"},
		{RoleMember, "BÙI TIẾN KHÁNH", "048219012345"},
		{RoleMember, "BÙI THU LIÊN", "048313012345"},
	}
	if len(m.People) != len(want) {
		t.Fatalf("%d people, want %d: %+v", len(m.People), len(want), m.People)
	}
	for i, w := range want {
		p := &m.People[i]
		if p.Role != w.role || value(p, FieldName) != w.name || value(p, FieldID) != w.id {
			t.Errorf("person %d: %s %q %q, want %s %q %q", i, p.Role, value(p, FieldName), value(p, FieldID), w.role, w.name, w.id)
		}
	}
}

// A number whose digits cannot be its holder's keeps what was read, with
// the reason and no value: one rule at a time.
func TestNumbersRejected(t *testing.T) {
	for _, c := range []struct {
		rule  string
		lines []string
		why   string
	}{
		{"unknown province", []string{"Số định danh cá nhân: 003085012345"}, "no province code"},
		{"11 digits", []string{"Số định danh cá nhân: 00108501234"}, "has 11 digits"},
		{"13 digits", []string{"Số CCCD: 0010850123456"}, "has 13 digits"},
		{"born in the future", []string{"Số CCCD: 001299012345"}, "says born in 2099"},
		{"century digit against the date of birth", []string{"Ngày sinh: 05/03/1925", "Số CCCD: 001225012345"}, "digit 2"},
		{"year digits against the date of birth", []string{"Năm sinh: 1985", "Số CCCD: 001086012345"}, "digits 86"},
		{"gender digit against the gender", []string{"Giới tính: Nữ", "Số CCCD: 001085012345"}, "says a man"},
		{"a legacy card of 9 zeros", []string{"Số CMND: 000000000"}, "no card"},
	} {
		t.Run(c.rule, func(t *testing.T) {
			p := only(t, extract(c.lines...))
			f := p.ID
			if f == nil {
				f = p.LegacyID
			}
			if f == nil || f.Value != "" || !strings.Contains(f.Problem, c.why) || f.Raw == "" {
				t.Errorf("number: %+v, want no value, the raw reading and a problem saying %q", f, c.why)
			}
		})
	}
	// The same number agrees with a holder it fits.
	p := only(t, extract("Ngày sinh: 05/03/1985", "Giới tính: Nam", "Số CCCD: 001085012345"))
	if p.ID == nil || p.ID.Value != "001085012345" || p.ID.Problem != "" {
		t.Errorf("a number that fits its holder: %+v", p.ID)
	}
}

// The heading above the motto names the issuing office, the title the
// document type, the date line the date; numbers, codes and the motto are
// none of these.
func TestDocument(t *testing.T) {
	for _, c := range []struct {
		lines        []string
		typ, office  string
		date, title  string
		wantNoPeople bool
	}{
		{[]string{"CÔNG AN TỈNH BẮC NINH", "CÔNG AN PHƯỜNG ĐÌNH BẢNG", "Số: 123/XN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
			"Độc lập - Tự do - Hạnh phúc", "Bắc Ninh, ngày 05 tháng 3 năm 2025", "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ"},
			TypeResidenceConfirmation, "CÔNG AN PHƯỜNG ĐÌNH BẢNG", "2025-03-05", "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", true},
		// A heading in the left column, beside the motto.
		{[]string{"UBND XÃ KIM SƠN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BỘ PHẬN MỘT CỬA | Độc lập - Tự do - Hạnh phúc",
			"Mã hồ sơ: 000.00.12.H26-250305-0001", "Gia Lâm; ngày 5 tháng 3 năm 2025", "GIẤY TIẾP NHẬN HỒ SƠ", "VÀ HẸN TRẢ KẾT QUẢ"},
			TypeReceipt, "BỘ PHẬN MỘT CỬA", "2025-03-05", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", true},
		// A notice about a receipt is a notice: the title's head decides.
		{[]string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "THÔNG BÁO VỀ VIỆC TIẾP NHẬN HỒ SƠ"},
			TypeNotice, "", "", "THÔNG BÁO VỀ VIỆC TIẾP NHẬN HỒ SƠ", true},
		// Misread, the title still reads.
		{[]string{"CỘNG HOA XA HỘI CHU NGHIA VIỆT NAM", "Độc lâp - Tự do - Hanh phúc", "T0 KHAI THAY ĐÔI THÔNG TlN CƯ TRU"},
			TypeHouseholdRegistration, "", "", "T0 KHAI THAY ĐÔI THÔNG TlN CƯ TRU", true},
		// A date of birth or of issue of a card is not the document's.
		{[]string{"ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI", "Sinh ngày 12 tháng 3 năm 1980", "Cấp ngày 01 tháng 02 năm 2020"},
			TypeLandChange, "", "", "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI", false},
	} {
		t.Run(c.typ, func(t *testing.T) {
			m := extract(c.lines...)
			if m.DocumentType != c.typ || m.Title == nil || m.Title.Raw != c.title || m.DocumentTypeConfidence <= 0 {
				t.Errorf("type %q (confidence %.2f) from %v, want %q from %q", m.DocumentType, m.DocumentTypeConfidence, m.Title, c.typ, c.title)
			}
			if got := fieldValue(m.IssuingOffice); got != c.office {
				t.Errorf("office %q, want %q", got, c.office)
			}
			if got := fieldValue(m.IssueDate); got != c.date {
				t.Errorf("date %q, want %q", got, c.date)
			}
			if c.wantNoPeople && len(m.People) > 0 {
				t.Errorf("people on a page that names none: %+v", m.People)
			}
		})
	}
	if m := extract("Tôi cam đoan nội dung đề nghị đăng ký thường trú trên đây là đúng sự thật."); m.DocumentType != "" || m.Title != nil {
		t.Errorf("running text taken for a title: %q %v", m.DocumentType, m.Title)
	}
}

func fieldValue(f *Field) string {
	if f == nil {
		return ""
	}
	return f.Value
}

// Prose and instructions name nobody, whatever words they share with
// labels; a signature block's name is not a field.
func TestNoFalseFields(t *testing.T) {
	m := extract(
		"Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự thỏa thuận",
		"nhất trí của các bên liên quan theo quy định pháp luật năm 2025.",
		"Căn cứ Luật Cư trú ngày 13 tháng 11 năm 2020 và Nghị định số 62/2021/NĐ-CP;",
		"Giấy xác nhận này có giá trị 30 ngày kể từ ngày cấp.",
		"Vinh, ngày 30 tháng 11 năm 2024",
		"NGƯỜI KÊ KHAI",
		"(Ký, ghi rõ họ tên)",
		"Phạm Thị Lan",
		"Nhãn hiệu: HONDA | Số máy: JF86E-1234567",
		"Số khung: RLHJF8601234567",
		"Nơi sinh: Bệnh viện Phụ sản Hà Nội",
		"ghi sinh: Bệnh viện Đa khoa",
		"Mã CCCD: chưa cấp",
	)
	if len(m.People) > 0 {
		js, _ := json.MarshalIndent(m.People, "", " ")
		t.Errorf("people where there are none: %s", js)
	}
}

// The JSON names are snake_case, as the manifest's.
func TestJSON(t *testing.T) {
	js, err := json.Marshal(extract("GIẤY ỦY QUYỀN", "Họ và tên: LÊ VĂN TÁM", "Số CMND: 012345678", "Hà Nội, ngày 01 tháng 02 năm 2025"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"document_type":"authorization"`, `"document_type_confidence":`, `"issue_date":{`,
		`"people":[{"role":"registered"`, `"legacy_id":{"raw":"012345678","value":"012345678","page":1,"boxes":[[`, `"confidence":`} {
		if !strings.Contains(string(js), k) {
			t.Errorf("%s lacks %s", js, k)
		}
	}
}

// TestDistanceUpTo holds the banded, early-stopping distance to the full
// dynamic programme on random keys, near and far apart.
func TestDistanceUpTo(t *testing.T) {
	full := func(a, b string) int {
		prev := make([]int, len(b)+1)
		cur := make([]int, len(b)+1)
		for j := range prev {
			prev[j] = j
		}
		for i := 1; i <= len(a); i++ {
			cur[0] = i
			for j := 1; j <= len(b); j++ {
				c := prev[j-1]
				if a[i-1] != b[j-1] {
					c++
				}
				cur[j] = min(c, prev[j]+1, cur[j-1]+1)
			}
			prev, cur = cur, prev
		}
		return prev[len(b)]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdeg0"[rng.IntN(7)]
		}
		return string(b)
	}
	for range 20000 {
		a := word(rng.IntN(30))
		b := []byte(a)
		if rng.IntN(2) == 0 { // a near neighbour: a few edits
			for range rng.IntN(5) {
				if len(b) > 0 {
					b[rng.IntN(len(b))] = "xyz"[rng.IntN(3)]
				}
			}
			if rng.IntN(2) == 0 {
				b = append(b, 'q')
			}
		} else {
			b = []byte(word(rng.IntN(80)))
		}
		want := full(a, string(b))
		for k := range 6 {
			got := distanceUpTo(a, string(b), k)
			if want <= k && got != want || want > k && got != k+1 {
				t.Fatalf("distanceUpTo(%q, %q, %d) = %d, full distance %d", a, b, k, got, want)
			}
		}
		if got := distance(a, string(b)); got != want {
			t.Fatalf("distance(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}

// TestNameTones: a name's word misread by its tone alone is mended to the
// one name it can be, the raw reading kept beside it; names of the stock,
// words two names could be and words no name is near are left alone.
func TestNameTones(t *testing.T) {
	for w, want := range map[string]string{
		"MỊNH": "MINH", "LẬM": "LÂM", "CỘNG": "CÔNG", "LÓ": "LÒ", "MÀI": "MAI", "KIỂU": "KIỀU",
		"HIỂN": "HIỂN", "HIỀN": "HIỀN", "PHƯỢNG": "PHƯỢNG", "BA": "BA", "TÁM": "TÁM",
		"TRỈNH": "TRỈNH", // Trinh or Trình
		"XOĂN":  "XOĂN",  // no name near
	} {
		if got := mendNameWord(w); got != want {
			t.Errorf("mendNameWord(%q) = %q, want %q", w, got, want)
		}
	}
	// A word no name is, mended by all its marks where the tone alone
	// finds none: HÀNG (a shop) is the name HẰNG.
	if got := mendNameWord("HÀNG"); got != "HẰNG" {
		t.Errorf("mendNameWord(%q) = %q, want HẰNG", "HÀNG", got)
	}
	// A name's first word is its family name; words OCR joined are split
	// into the names they are made of, and a syllable is not.
	for raw, want := range map[string]string{
		"NGUYÊN THỊ NGỌC HOA": "NGUYỄN THỊ NGỌC HOA", // Nguyên is a given name, no family name
		"NGÕ KHÁNH THẢO":      "NGÔ KHÁNH THẢO",      // not the given name Ngọ
		"LÒ DIỆU HIỀN":        "LÒ DIỆU HIỀN",
		"NGUYỄN LÊ HOA":       "NGUYỄN LÊ HOA", // a family name in the middle stays
		"BÙITHANH HÙNG":       "BÙI THANH HÙNG",
		"LÊMINH HOA":          "LÊ MINH HOA",
		"TRẦN THUYÊN":         "TRẦN THUYÊN", // one syllable, though THU and YÊN are names
	} {
		if got := strings.Join(mendName(strings.Fields(raw)), " "); got != want {
			t.Errorf("mendName(%q) = %q, want %q", raw, got, want)
		}
	}
	// An abbreviation after a name is not of it, however badly OCR read
	// it: "SN" (sinh năm) before the year of birth.
	low := page(1, "VĂN BẢN ỦY QUYỀN", "Họ và tên: Ngô Khánh Thảo SN 1990")
	for i := range low.Words {
		if low.Words[i].Text == "SN" {
			low.Words[i].Confidence = 0
		}
	}
	if p := only(t, Extract([]Page{low}, now)); p.Name == nil || p.Name.Value != "NGÔ KHÁNH THẢO" {
		t.Errorf("name %+v, want NGÔ KHÁNH THẢO, without the SN after it", p.Name)
	}
	m := Extract([]Page{page(1, "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "Họ, chữ đệm và tên: HÀ MỊNH THẮM")}, now)
	p := only(t, m)
	if p.Name == nil || p.Name.Value != "HÀ MINH THẮM" || p.Name.Raw != "HÀ MỊNH THẮM" {
		t.Errorf("name %+v, want value HÀ MINH THẮM beside the raw HÀ MỊNH THẮM", p.Name)
	}
}

// TestPlaceTones: a district named after its unit word, and a street's
// name, misread by their tone marks alone, are mended to the one district
// or street they can be; streets and districts of no list, and ward
// names, stay as read.
func TestPlaceTones(t *testing.T) {
	for raw, want := range map[string]string{
		"Số 51/13 phố Trân Thái Tông, phường Dịch Vọng Hậu, quận Câu Giấy, thành phố Hà Nội":        "Số 51/13 phố Trần Thái Tông, phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội",
		"Ấp Cây Sộp, xã Tân Thạnh Đông, huyện Củ Chỉ, Thành phố Hồ Chí Minh":                        "Ấp Cây Sộp, xã Tân Thạnh Đông, huyện Củ Chi, Thành phố Hồ Chí Minh",
		"Tổ 29, số 117 đường Đỉnh Tiên Hoàng, phường Tân Định, Thành phố Hồ Chí Minh":               "Tổ 29, số 117 đường Đinh Tiên Hoàng, phường Tân Định, Thành phố Hồ Chí Minh",
		"Số 24 ngõ 14 phố Đình Bảng, phường Đình Bảng, thành phố Từ Sơn, tỉnh Bắc Ninh":             "Số 24 ngõ 14 phố Đình Bảng, phường Đình Bảng, thành phố Từ Sơn, tỉnh Bắc Ninh",
		"Số 51 đường Hai Bà Trưng, phường Bến Nghé, quận 1, thành phố Hồ Chí Minh":                  "Số 51 đường Hai Bà Trưng, phường Bến Nghé, quận 1, thành phố Hồ Chí Minh",
		"Tổ 12, số 13 phố Quán Thánh, phường Ba Đình, thành phố Hà Nội":                             "Tổ 12, số 13 phố Quán Thánh, phường Ba Đình, thành phố Hà Nội",
		"Số 5 ngõ 125 phố Trần.Thái Tông, phường Phú Cường, thành phố Thủ Dầu.Một, tỉnh Bình Dương": "Số 5 ngõ 125 phố Trần Thái Tông, phường Phú Cường, thành phố Thủ Dầu Một, tỉnh Bình Dương",
		"thôn Đông, xã Cầu Giây, huyện Vân Hồ, tỉnh Sơn La":                                         "thôn Đông, xã Cầu Giây, huyện Vân Hồ, tỉnh Sơn La", // a ward, and a district not listed
		"Số 3 đường Trần Phú, phường Ba Đình, thành phố Bùôn Ma Thuột, tỉnh Đắk Lắk":                "Số 3 đường Trần Phú, phường Ba Đình, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk",
		"Số 3 đường Trần Phú, phường Ba Đình, thành phố Buôn Ma Thuậc, tỉnh Đắk Lắk":                "Số 3 đường Trần Phú, phường Ba Đình, thành phố Buôn Ma Thuậc, tỉnh Đắk Lắk", // a letter, not a mark
		"Số 3 đường Trần Phú, phường Tân Lợi, thành phố Buôn Ma Thuốt, tỉnh Đắk Lắk":                "Số 3 đường Trần Phú, phường Tân Lợi, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk",
	} {
		if got := normalizeAddress(raw); got != want {
			t.Errorf("normalizeAddress(%q)\n = %q\nwant %q", raw, got, want)
		}
	}
	for name, want := range map[string]string{"Câu Giấy": "Cầu Giấy", "Thủ Dức": "", "Châu Thành": "Châu Thành", "Hà Đông": "Hà Đông"} {
		if got := districtName(name); got != want {
			t.Errorf("districtName(%q) = %q, want %q", name, got, want)
		}
	}
}
