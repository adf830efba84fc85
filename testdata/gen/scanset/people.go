package scanset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// province is a province of birth registration. Its code opens every
// personal identification number registered there (see shared/DOMAIN.md).
type province struct {
	code string // three digits, 001 to 096
	name string // as an address ends: "thành phố Hà Nội", "tỉnh Bắc Ninh"
	city string // as a date line starts: "Hà Nội, ngày ..."
}

var provinces = []province{
	{"001", "thành phố Hà Nội", "Hà Nội"},
	{"010", "tỉnh Lào Cai", "Lào Cai"},
	{"027", "tỉnh Bắc Ninh", "Bắc Ninh"},
	{"031", "thành phố Hải Phòng", "Hải Phòng"},
	{"040", "tỉnh Nghệ An", "Nghệ An"},
	{"046", "tỉnh Thừa Thiên Huế", "Huế"},
	{"048", "thành phố Đà Nẵng", "Đà Nẵng"},
	{"079", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"},
	{"092", "thành phố Cần Thơ", "Cần Thơ"},
}

func provinceByCode(code string) province {
	for _, p := range provinces {
		if p.code == code {
			return p
		}
	}
	panic("unknown province code " + code)
}

// locality is a ward or commune with the streets (towns) or hamlets
// (countryside) that open an address in it.
type locality struct {
	prov     string
	ward     string // "phường Nghĩa Đô", "xã Phù Đổng"
	district string // "quận Cầu Giấy", "huyện Gia Lâm"
	streets  []string
	hamlets  []string
}

var localities = []locality{
	{"001", "phường Nghĩa Đô", "quận Cầu Giấy", []string{"phố Hoàng Quốc Việt", "phố Nguyễn Văn Huyên", "phố Chùa Hà"}, nil},
	{"001", "phường Kim Liên", "quận Đống Đa", []string{"phố Phạm Ngọc Thạch", "phố Lương Định Của", "phố Đào Duy Anh"}, nil},
	{"001", "xã Phù Đổng", "huyện Gia Lâm", nil, []string{"Thôn Phù Dực", "Thôn Đổng Viên", "Thôn Phù Đổng"}},
	{"010", "phường Cốc Lếu", "thành phố Lào Cai", []string{"đường Hoàng Liên", "phố Nguyễn Huệ", "phố Lý Công Uẩn"}, nil},
	{"010", "thị trấn Phố Lu", "huyện Bảo Thắng", nil, []string{"Tổ dân phố số 3", "Tổ dân phố số 5", "Tổ dân phố số 7"}},
	{"027", "phường Suối Hoa", "thành phố Bắc Ninh", []string{"đường Nguyễn Gia Thiều", "đường Hồ Ngọc Lân", "phố Nguyễn Đăng Đạo"}, nil},
	{"027", "xã Đông Phong", "huyện Yên Phong", nil, []string{"Thôn Đông Xá", "Thôn Đông Yên", "Thôn Phong Xá"}},
	{"031", "phường Đằng Giang", "quận Ngô Quyền", []string{"phố Lạch Tray", "đường Lê Hồng Phong", "phố Văn Cao"}, nil},
	{"040", "xã Nghi Phong", "huyện Nghi Lộc", nil, []string{"Xóm 4", "Xóm 7", "Xóm Phong Thịnh"}},
	{"046", "phường Vĩnh Ninh", "thành phố Huế", []string{"đường Lê Lợi", "đường Hùng Vương", "đường Nguyễn Huệ"}, nil},
	{"048", "phường Hòa Cường Bắc", "quận Hải Châu", []string{"đường Núi Thành", "đường 2 Tháng 9", "đường Lê Thanh Nghị"}, nil},
	{"079", "phường Võ Thị Sáu", "Quận 3", []string{"đường Nam Kỳ Khởi Nghĩa", "đường Trần Quốc Thảo", "đường Lý Chính Thắng"}, nil},
	{"092", "phường Xuân Khánh", "quận Ninh Kiều", []string{"đường 30 Tháng 4", "đường Mậu Thân", "đường Trần Văn Hoài"}, nil},
}

// address is a full residence: house or hamlet, ward, district, province.
type address struct {
	loc   locality
	house string // "Số 18 ngõ 75 phố Hoàng Quốc Việt", "Thôn Đông Xá"
}

func (a address) String() string {
	return fmt.Sprintf("%s, %s, %s, %s", a.house, a.loc.ward, a.loc.district, provinceByCode(a.loc.prov).name)
}

// place is the address without the house: "phường Nghĩa Đô, quận Cầu Giấy, thành phố Hà Nội".
func (a address) place() string {
	return fmt.Sprintf("%s, %s, %s", a.loc.ward, a.loc.district, provinceByCode(a.loc.prov).name)
}

func randomAddress(rng *rand.Rand, loc locality) address {
	if len(loc.streets) == 0 {
		return address{loc, pick(rng, loc.hamlets)}
	}
	street := pick(rng, loc.streets)
	if rng.IntN(3) == 0 {
		return address{loc, fmt.Sprintf("Số %d ngõ %d %s", 2+rng.IntN(60), 5+rng.IntN(200), street)}
	}
	return address{loc, fmt.Sprintf("Số %d %s", 1+rng.IntN(240), street)}
}

type date struct{ day, month, year int }

func (d date) String() string { return fmt.Sprintf("%02d/%02d/%04d", d.day, d.month, d.year) }

// long is the date as a date line writes it: "ngày 12 tháng 3 năm 2025".
func (d date) long() string {
	return fmt.Sprintf("ngày %02d tháng %d năm %d", d.day, d.month, d.year)
}

func randomDate(rng *rand.Rand, fromYear, toYear int) date {
	m := 1 + rng.IntN(12)
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	return date{1 + rng.IntN(days), m, fromYear + rng.IntN(toYear-fromYear+1)}
}

// person is a citizen as the forms name them.
type person struct {
	name   string // upper case, as typed in a form's value
	female bool
	born   date
	birth  province // where the birth was registered: opens the ID
	id     string   // 12-digit personal identification number
	home   address
}

// display is the name as a signature block prints it: "Nguyễn Thị Ngọc Ẩn".
func (p person) display() string { return TitleCase(p.name) }

// TitleCase writes a name with each word's first letter capital, the rest
// small, as a signature block does: "NGUYỄN THỊ ẨN" becomes "Nguyễn Thị Ẩn".
func TitleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r := []rune(w)
		r[0] = []rune(strings.ToUpper(string(r[0])))[0]
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

func (p person) gender() string {
	if p.female {
		return "Nữ"
	}
	return "Nam"
}

// idNumber builds PPP G YY NNNNNN: province, century and gender, year, sequence.
func idNumber(prov province, female bool, year, seq int) string {
	return IDNumber(prov.code, female, year, seq)
}

// IDNumber builds a personal identification number PPP G YY NNNNNN from
// the province code of birth registration, the sex and year of birth
// (century and sex make G) and a sequence number.
func IDNumber(province string, female bool, year, seq int) string {
	g := (year/100 - 19) * 2
	if female {
		g++
	}
	return fmt.Sprintf("%s%d%02d%06d", province, g, year%100, seq%1000000)
}

var (
	surnames      = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	femaleMiddles = []string{"Thị", "Thị", "Ngọc", "Thị Ngọc", "Thị Thu", "Thu", "Minh", "Thị Mỹ", "Bảo"}
	maleMiddles   = []string{"Văn", "Văn", "Đức", "Hữu", "Quang", "Minh", "Xuân", "Tiến", "Công"}
	femaleNames   = []string{"Lan", "Hương", "Hằng", "Nguyệt", "Thủy", "Yến", "Trang", "Phượng", "Diệp", "Huyền", "Thắm", "Loan", "Duyên", "Thảo", "Ẩn", "Ngân", "Quỳnh", "Vỹ", "Nhung"}
	maleNames     = []string{"Dũng", "Hùng", "Tuấn", "Thắng", "Cường", "Quyết", "Đạt", "Hiếu", "Lực", "Vượng", "Tiến", "Khải", "Kiên", "Mạnh", "Hưng", "Bảo", "Lượng", "Thịnh", "Sỹ"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// randomPerson makes a citizen born between the years given, with an ID
// consistent with the birth date, gender and province of registration.
func randomPerson(rng *rand.Rand, fromYear, toYear int) person {
	female := rng.IntN(2) == 0
	var name string
	if female {
		name = pick(rng, surnames) + " " + pick(rng, femaleMiddles) + " " + pick(rng, femaleNames)
	} else {
		name = pick(rng, surnames) + " " + pick(rng, maleMiddles) + " " + pick(rng, maleNames)
	}
	born := randomDate(rng, fromYear, toYear)
	birth := pick(rng, provinces)
	loc := pick(rng, localities)
	return person{
		name:   strings.ToUpper(name),
		female: female,
		born:   born,
		birth:  birth,
		id:     idNumber(birth, female, born.year, rng.IntN(1000000)),
		home:   randomAddress(rng, loc),
	}
}

// relative is a person of the given gender and age band who lives with p.
func relative(rng *rand.Rand, p person, female bool, fromYear, toYear int, surname string) person {
	for {
		q := randomPerson(rng, fromYear, toYear)
		if q.female != female {
			continue
		}
		if surname != "" {
			words := strings.Fields(q.name)
			words[0] = strings.ToUpper(surname)
			q.name = strings.Join(words, " ")
		}
		q.home = p.home
		q.birth = provinceByCode(p.home.loc.prov)
		q.id = idNumber(q.birth, q.female, q.born.year, rng.IntN(1000000))
		return q
	}
}
