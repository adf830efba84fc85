package forms

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

// The people and places the forms are filled in with: drawn from lists
// wider than the scan set's, so that extraction is measured on names,
// streets and hamlets it was not written against.

// province is a province of birth registration: its code opens the
// personal identification numbers registered there.
type province struct {
	code, name, city string // "001", "thành phố Hà Nội", "Hà Nội"
}

var provinces = []province{
	{"001", "thành phố Hà Nội", "Hà Nội"}, {"002", "tỉnh Hà Giang", "Hà Giang"}, {"004", "tỉnh Cao Bằng", "Cao Bằng"},
	{"008", "tỉnh Tuyên Quang", "Tuyên Quang"}, {"010", "tỉnh Lào Cai", "Lào Cai"}, {"019", "tỉnh Thái Nguyên", "Thái Nguyên"},
	{"022", "tỉnh Quảng Ninh", "Hạ Long"}, {"024", "tỉnh Bắc Giang", "Bắc Giang"}, {"025", "tỉnh Phú Thọ", "Việt Trì"},
	{"027", "tỉnh Bắc Ninh", "Bắc Ninh"}, {"030", "tỉnh Hải Dương", "Hải Dương"}, {"031", "thành phố Hải Phòng", "Hải Phòng"},
	{"033", "tỉnh Hưng Yên", "Hưng Yên"}, {"034", "tỉnh Thái Bình", "Thái Bình"}, {"036", "tỉnh Nam Định", "Nam Định"},
	{"037", "tỉnh Ninh Bình", "Ninh Bình"}, {"038", "tỉnh Thanh Hóa", "Thanh Hóa"}, {"040", "tỉnh Nghệ An", "Vinh"},
	{"042", "tỉnh Hà Tĩnh", "Hà Tĩnh"}, {"044", "tỉnh Quảng Bình", "Đồng Hới"}, {"046", "tỉnh Thừa Thiên Huế", "Huế"},
	{"048", "thành phố Đà Nẵng", "Đà Nẵng"}, {"049", "tỉnh Quảng Nam", "Tam Kỳ"}, {"051", "tỉnh Quảng Ngãi", "Quảng Ngãi"},
	{"052", "tỉnh Bình Định", "Quy Nhơn"}, {"056", "tỉnh Khánh Hòa", "Nha Trang"}, {"066", "tỉnh Đắk Lắk", "Buôn Ma Thuột"},
	{"068", "tỉnh Lâm Đồng", "Đà Lạt"}, {"074", "tỉnh Bình Dương", "Thủ Dầu Một"}, {"075", "tỉnh Đồng Nai", "Biên Hòa"},
	{"079", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"}, {"080", "tỉnh Long An", "Tân An"}, {"083", "tỉnh Bến Tre", "Bến Tre"},
	{"087", "tỉnh Đồng Tháp", "Cao Lãnh"}, {"089", "tỉnh An Giang", "Long Xuyên"}, {"092", "thành phố Cần Thơ", "Cần Thơ"},
	{"094", "tỉnh Sóc Trăng", "Sóc Trăng"}, {"096", "tỉnh Cà Mau", "Cà Mau"},
}

func provinceByCode(code string) province {
	for _, p := range provinces {
		if p.code == code {
			return p
		}
	}
	panic("unknown province code " + code)
}

// bare is a province's name without "tỉnh" or "thành phố".
func (p province) bare() string {
	for _, pre := range []string{"thành phố ", "Thành phố ", "tỉnh "} {
		if s, ok := strings.CutPrefix(p.name, pre); ok {
			return s
		}
	}
	return p.name
}

// locality is a ward or commune with the streets (towns) or hamlets
// (countryside) an address in it opens with. district is empty for the
// two-level addresses used since the 2025 reform.
type locality struct {
	prov, ward, district string
	streets, hamlets     []string
}

var localities = []locality{
	{"001", "phường Dịch Vọng Hậu", "quận Cầu Giấy", []string{"phố Trần Thái Tông", "phố Xuân Thủy", "phố Duy Tân"}, nil},
	{"001", "phường Thanh Xuân Trung", "quận Thanh Xuân", []string{"phố Nguyễn Trãi", "phố Vũ Trọng Phụng", "phố Khương Trung"}, nil},
	{"001", "xã Kim Sơn", "huyện Gia Lâm", nil, []string{"Thôn Kim Âu", "Thôn Lời", "Thôn Linh Quy"}},
	{"001", "phường Ba Đình", "", []string{"phố Quán Thánh", "phố Phan Đình Phùng", "phố Đội Cấn"}, nil},
	{"010", "phường Kim Tân", "thành phố Lào Cai", []string{"đường Hoàng Sào", "phố Cốc Lếu", "đường Hồng Hà"}, nil},
	{"019", "xã Phúc Xuân", "thành phố Thái Nguyên", nil, []string{"Xóm Khuôn Năm", "Xóm Đồng Kiệm", "Xóm Cây Thị"}},
	{"022", "phường Bạch Đằng", "thành phố Hạ Long", []string{"đường Lê Thánh Tông", "phố Bến Đoan", "đường Vườn Đào"}, nil},
	{"027", "phường Đình Bảng", "thành phố Từ Sơn", []string{"đường Lý Thái Tổ", "phố Đình Bảng", "đường Trần Phú"}, nil},
	{"030", "xã Cẩm Hưng", "huyện Cẩm Giàng", nil, []string{"Thôn Hoằng Hà", "Thôn Quý Dương", "Thôn Tràng Kỹ"}},
	{"031", "phường Cát Dài", "quận Lê Chân", []string{"phố Trần Nguyên Hãn", "phố Cát Cụt", "đường Tô Hiệu"}, nil},
	{"036", "xã Hải Thanh", "huyện Hải Hậu", nil, []string{"Xóm 3", "Xóm 9", "Xóm Trung Thành"}},
	{"038", "phường Điện Biên", "thành phố Thanh Hóa", []string{"đường Lê Hoàn", "phố Hàng Đồng", "đường Phan Chu Trinh"}, nil},
	{"040", "xã Hưng Đông", "thành phố Vinh", nil, []string{"Xóm Yên Giang", "Xóm Mậu Lâm", "Xóm Kim Phúc"}},
	{"046", "phường Phú Hội", "thành phố Huế", []string{"đường Hà Nội", "đường Đội Cung", "đường Chu Văn An"}, nil},
	{"048", "phường Thạc Gián", "quận Thanh Khê", []string{"đường Hàm Nghi", "đường Lê Duẩn", "đường Huỳnh Ngọc Huệ"}, nil},
	{"048", "phường Hòa Khánh Bắc", "", []string{"đường Âu Cơ", "đường Nguyễn Lương Bằng", "đường Tôn Đức Thắng"}, nil},
	{"056", "phường Vĩnh Hải", "thành phố Nha Trang", []string{"đường 2 Tháng 4", "đường Đặng Tất", "đường Điện Biên Phủ"}, nil},
	{"066", "xã Ea Tu", "thành phố Buôn Ma Thuột", nil, []string{"Buôn Ky", "Thôn 4", "Buôn Kram"}},
	{"074", "phường Phú Cường", "thành phố Thủ Dầu Một", []string{"đường Bạch Đằng", "đường Đinh Bộ Lĩnh", "đường Văn Công Khai"}, nil},
	{"079", "phường Bến Nghé", "Quận 1", []string{"đường Lê Thánh Tôn", "đường Hai Bà Trưng", "đường Nguyễn Du"}, nil},
	{"079", "phường Tân Định", "", []string{"đường Trần Quang Khải", "đường Đinh Tiên Hoàng", "đường Hai Bà Trưng"}, nil},
	{"079", "xã Tân Thạnh Đông", "huyện Củ Chi", nil, []string{"Ấp 3", "Ấp 6A", "Ấp Cây Sộp"}},
	{"087", "xã Mỹ Trà", "thành phố Cao Lãnh", nil, []string{"Ấp 1", "Ấp 2", "Ấp 3"}},
	{"092", "phường An Khánh", "quận Ninh Kiều", []string{"đường Nguyễn Văn Cừ", "đường Trần Hoàng Na", "đường 3 Tháng 2"}, nil},
	{"096", "phường 5", "thành phố Cà Mau", []string{"đường Lý Thường Kiệt", "đường Phan Ngọc Hiển", "đường Nguyễn Tất Thành"}, nil},
}

// address is a residence: the house or hamlet, then the locality.
type address struct {
	loc   locality
	house string
}

func (a address) String() string {
	parts := []string{a.house, a.loc.ward}
	if a.loc.district != "" {
		parts = append(parts, a.loc.district)
	}
	return strings.Join(append(parts, provinceByCode(a.loc.prov).name), ", ")
}

func (a address) province() province { return provinceByCode(a.loc.prov) }

func randomAddress(rng *rand.Rand, loc locality) address {
	if len(loc.streets) == 0 {
		h := pick(rng, loc.hamlets)
		if rng.IntN(3) == 0 {
			h = fmt.Sprintf("Số nhà %d, %s", 1+rng.IntN(120), h)
		}
		return address{loc, h}
	}
	street := pick(rng, loc.streets)
	switch rng.IntN(4) {
	case 0:
		return address{loc, fmt.Sprintf("Số %d ngõ %d %s", 2+rng.IntN(60), 5+rng.IntN(200), street)}
	case 1:
		return address{loc, fmt.Sprintf("Số %d/%d %s", 2+rng.IntN(90), 1+rng.IntN(30), street)}
	case 2:
		return address{loc, fmt.Sprintf("Tổ %d, số %d %s", 1+rng.IntN(30), 1+rng.IntN(240), street)}
	}
	return address{loc, fmt.Sprintf("Số %d %s", 1+rng.IntN(240), street)}
}

type date struct{ day, month, year int }

// iso is the date as extraction normalises it; a date with no day or
// month is a year alone.
func (d date) iso() string {
	if d.day == 0 {
		return fmt.Sprintf("%04d", d.year)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day)
}

func (d date) slash() string { return fmt.Sprintf("%02d/%02d/%04d", d.day, d.month, d.year) }

// long is the date as a date line writes it: "ngày 05 tháng 3 năm 2025".
func (d date) long() string {
	return fmt.Sprintf("ngày %02d tháng %02d năm %d", d.day, d.month, d.year)
}

// written is a date of birth as one form or another prints it.
func (d date) written(rng *rand.Rand) string {
	switch rng.IntN(10) {
	case 0:
		return fmt.Sprintf("%02d-%02d-%04d", d.day, d.month, d.year)
	case 1:
		return fmt.Sprintf("ngày %02d tháng %02d năm %d", d.day, d.month, d.year)
	case 2:
		return fmt.Sprintf("%02d.%02d.%04d", d.day, d.month, d.year)
	}
	return d.slash()
}

func randomDate(rng *rand.Rand, fromYear, toYear int) date {
	m := 1 + rng.IntN(12)
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	return date{1 + rng.IntN(days), m, fromYear + rng.IntN(toYear-fromYear+1)}
}

// later is a day within n days after d, in the same year.
func (d date) later(rng *rand.Rand, n int) date {
	day, month := d.day+1+rng.IntN(n), d.month
	for day > 28 {
		day -= 28
		month++
	}
	if month > 12 {
		return date{28, 12, d.year}
	}
	return date{day, month, d.year}
}

// person is a citizen as forms name them.
type person struct {
	name      string // upper case, as typed into a form
	female    bool
	born      date
	birth     province
	id        string // 12 digits
	cmnd      string // the old 9-digit card number, held by some older people
	ethnicity string
	home      address // permanent residence
	current   address // where they live now; often home
	phone     string  // as written
}

// display is the name as a signature block or a letter writes it.
func (p person) display() string { return scanset.TitleCase(p.name) }

func (p person) gender() string {
	if p.female {
		return "Nữ"
	}
	return "Nam"
}

var (
	surnames = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
		"Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lương", "Mai", "Tạ", "Cao",
		"Lâm", "Quách", "Thái", "Kiều", "Chu", "Triệu", "Hà", "Tô", "Lưu", "Khổng", "Nông", "Vi", "Lò"}
	femaleMiddles = []string{"Thị", "Thị", "Thị", "Ngọc", "Thị Ngọc", "Thị Thu", "Thu", "Minh", "Thị Mỹ", "Bảo", "Khánh",
		"Thanh", "Phương", "Hoài", "Thị Hồng", "Diệu", "Thùy", "Kim"}
	maleMiddles = []string{"Văn", "Văn", "Văn", "Đức", "Hữu", "Quang", "Minh", "Xuân", "Tiến", "Công", "Ngọc", "Thanh",
		"Mạnh", "Trọng", "Duy", "Quốc", "Gia", "Đình", "Bá"}
	femaleNames = []string{"Lan", "Hương", "Hằng", "Nguyệt", "Thủy", "Yến", "Trang", "Phượng", "Diệp", "Huyền", "Thắm",
		"Loan", "Duyên", "Thảo", "Ngân", "Quỳnh", "Nhung", "Hạnh", "Oanh", "Vân", "Linh", "Mai", "Ánh", "Ngọc", "Trinh",
		"Hoa", "Liên", "Tuyết", "Giang", "Hà", "Nhàn", "Xuân", "Uyên", "Thư", "Vy", "Chi", "Hiền", "Khuê", "Dung"}
	maleNames = []string{"Dũng", "Hùng", "Tuấn", "Thắng", "Cường", "Quyết", "Đạt", "Hiếu", "Lực", "Vượng", "Tiến",
		"Khải", "Kiên", "Mạnh", "Hưng", "Bảo", "Lượng", "Thịnh", "Sơn", "Long", "Phúc", "Tài", "Trung", "Nam", "Hải",
		"Quân", "Tùng", "Huy", "Khoa", "Nghĩa", "Toàn", "Thành", "Vinh", "Đông", "Khánh", "Lâm", "Duy", "Phong", "Việt"}
	ethnicities = []string{"Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Kinh", "Tày", "Thái", "Mường", "Nùng",
		"Khmer", "Hoa", "Dao", "Ê Đê", "Sán Dìu"}
	phonePrefixes = []string{"0912", "0983", "0904", "0868", "0977", "0358", "0389", "0707", "0936", "0825", "0598", "0392"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func randomName(rng *rand.Rand, female bool) string {
	if female {
		return pick(rng, surnames) + " " + pick(rng, femaleMiddles) + " " + pick(rng, femaleNames)
	}
	return pick(rng, surnames) + " " + pick(rng, maleMiddles) + " " + pick(rng, maleNames)
}

func randomPhone(rng *rand.Rand) (written, digits string) {
	p, a, b := pick(rng, phonePrefixes), rng.IntN(1000), rng.IntN(1000)
	digits = fmt.Sprintf("%s%03d%03d", p, a, b)
	switch rng.IntN(3) {
	case 0:
		return digits, digits
	case 1:
		return fmt.Sprintf("%s.%03d.%03d", p, a, b), digits
	}
	return fmt.Sprintf("%s %03d %03d", p, a, b), digits
}

// randomPerson makes a citizen born between the years given, with an ID
// that agrees with the birth date, gender and province of registration;
// one in three of those born before 1985 still uses the old card.
func randomPerson(rng *rand.Rand, female bool, fromYear, toYear int) person {
	born := randomDate(rng, fromYear, toYear)
	birth := pick(rng, provinces)
	loc := pick(rng, localities)
	p := person{
		name:      strings.ToUpper(randomName(rng, female)),
		female:    female,
		born:      born,
		birth:     birth,
		id:        scanset.IDNumber(birth.code, female, born.year, rng.IntN(1000000)),
		ethnicity: pick(rng, ethnicities),
		home:      randomAddress(rng, loc),
	}
	p.current = p.home
	if rng.IntN(3) == 0 {
		p.current = randomAddress(rng, pick(rng, localities))
	}
	if born.year < 1985 && rng.IntN(3) == 0 {
		p.cmnd = fmt.Sprintf("%02d%07d", 1+rng.IntN(38), rng.IntN(10000000))
	}
	p.phone, _ = randomPhone(rng)
	return p
}

// relative is a person of the given gender and age band living with p,
// registered at birth in p's province; surname, when set, replaces theirs.
func relative(rng *rand.Rand, p person, female bool, fromYear, toYear int, surname string) person {
	q := randomPerson(rng, female, fromYear, toYear)
	if surname != "" {
		words := strings.Fields(q.name)
		words[0] = strings.ToUpper(surname)
		q.name = strings.Join(words, " ")
	}
	q.home, q.current = p.home, p.current
	q.birth = provinceByCode(p.home.loc.prov)
	q.id = scanset.IDNumber(q.birth.code, q.female, q.born.year, rng.IntN(1000000))
	q.ethnicity = p.ethnicity
	return q
}

func surname(p person) string { return strings.Fields(p.name)[0] }

// officer names the signer of an official paper.
func officer(rng *rand.Rand) string {
	return scanset.TitleCase(randomName(rng, rng.IntN(2) == 0))
}

func upper(s string) string { return strings.ToUpper(s) }
