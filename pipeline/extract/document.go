package extract

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Document types, named for what the document is.
const (
	TypeLandChange            = "land_change"            // đơn đăng ký biến động đất đai
	TypeLandCertificate       = "land_certificate"       // giấy chứng nhận quyền sử dụng đất
	TypeBirthRegistration     = "birth_registration"     // tờ khai đăng ký khai sinh, giấy khai sinh
	TypeHouseholdRegistration = "household_registration" // tờ khai thay đổi thông tin cư trú, phiếu báo thay đổi hộ khẩu
	TypeResidenceConfirmation = "residence_confirmation" // giấy xác nhận thông tin về cư trú
	TypeVehicleRegistration   = "vehicle_registration"   // giấy khai đăng ký xe, giấy chứng nhận đăng ký xe
	TypeMaritalStatus         = "marital_status"         // xác nhận tình trạng hôn nhân
	TypeMarriageRegistration  = "marriage_registration"  // đăng ký kết hôn
	TypeDeathRegistration     = "death_registration"     // đăng ký khai tử
	TypeAuthorization         = "authorization"          // giấy ủy quyền
	TypeNotice                = "notice"                 // thông báo
	TypeReceipt               = "receipt"                // giấy tiếp nhận hồ sơ, giấy biên nhận
	TypeDecision              = "decision"               // quyết định
	TypeConsent               = "consent"                // văn bản đồng ý
	TypeApplication           = "application"            // any other đơn đề nghị
)

// titles are the wordings of the titles each type is known by. The
// earliest match in a title decides ("THÔNG BÁO về việc tiếp nhận hồ sơ"
// is a notice), the longest where two start together.
var titles = []struct {
	typ   string
	texts []string
}{
	{TypeLandChange, []string{"đơn đăng ký biến động đất đai", "đăng ký biến động đất đai", "biến động đất đai"}},
	{TypeLandCertificate, []string{"giấy chứng nhận quyền sử dụng đất"}},
	{TypeBirthRegistration, []string{"tờ khai đăng ký khai sinh", "giấy khai sinh", "đăng ký khai sinh"}},
	{TypeHouseholdRegistration, []string{"tờ khai thay đổi thông tin cư trú", "phiếu báo thay đổi hộ khẩu nhân khẩu",
		"đơn đề nghị đăng ký thường trú", "phiếu khai báo thường trú", "phiếu đăng ký thường trú", "đăng ký thường trú",
		"thay đổi thông tin cư trú", "thay đổi hộ khẩu", "khai báo tạm trú", "đăng ký tạm trú"}},
	{TypeResidenceConfirmation, []string{"giấy xác nhận thông tin về cư trú", "xác nhận thông tin về cư trú", "xác nhận cư trú"}},
	{TypeVehicleRegistration, []string{"giấy khai đăng ký xe", "tờ khai đăng ký xe", "giấy chứng nhận đăng ký xe", "đăng ký xe"}},
	{TypeMaritalStatus, []string{"tờ khai cấp giấy xác nhận tình trạng hôn nhân", "giấy xác nhận tình trạng hôn nhân",
		"xác nhận tình trạng hôn nhân", "tình trạng hôn nhân"}},
	{TypeMarriageRegistration, []string{"tờ khai đăng ký kết hôn", "giấy chứng nhận kết hôn", "đăng ký kết hôn"}},
	{TypeDeathRegistration, []string{"tờ khai đăng ký khai tử", "trích lục khai tử", "đăng ký khai tử"}},
	{TypeAuthorization, []string{"giấy ủy quyền", "văn bản ủy quyền", "hợp đồng ủy quyền", "giấy uỷ quyền"}},
	{TypeNotice, []string{"thông báo"}},
	{TypeReceipt, []string{"giấy tiếp nhận hồ sơ và hẹn trả kết quả", "giấy biên nhận hồ sơ", "giấy biên nhận",
		"phiếu tiếp nhận hồ sơ", "biên nhận hồ sơ", "phiếu hẹn trả kết quả", "tiếp nhận hồ sơ"}},
	{TypeDecision, []string{"quyết định"}},
	{TypeConsent, []string{"văn bản đồng ý", "giấy đồng ý"}},
	{TypeApplication, []string{"đơn đề nghị", "đơn xin"}},
}

type titleKey struct{ key, typ string }

var titleKeys []titleKey

func init() {
	for _, t := range titles {
		for _, s := range t.texts {
			titleKeys = append(titleKeys, titleKey{key(s), t.typ})
		}
	}
}

const (
	mottoKey = "conghoaxahoichunghiavietnam" // CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
	mottoTwo = "doclaptudohanhphuc"          // Độc lập - Tự do - Hạnh phúc
)

func rowKey(r *row) string {
	var b strings.Builder
	for _, t := range r.toks {
		b.WriteString(t.key)
	}
	return b.String()
}

// mottoAt is the row of the national motto, -1 if none was read.
func mottoAt(rs []*row) int {
	for i, r := range rs {
		if d, _ := within(mottoKey, rowKey(r)); d <= 5 {
			return i
		}
	}
	return -1
}

func isMotto(r *row) bool {
	k := rowKey(r)
	d1, _ := within(mottoKey, k)
	d2, _ := within(mottoTwo, k)
	return d1 <= 5 || d2 <= 3
}

// capitals is the share of a row's letters in capitals.
func capitals(toks []token) (share float64, letters int) {
	upper := 0
	for _, t := range toks {
		for _, c := range t.text {
			if unicode.IsLetter(c) {
				letters++
				if unicode.IsUpper(c) {
					upper++
				}
			}
		}
	}
	if letters == 0 {
		return 0, 0
	}
	return float64(upper) / float64(letters), letters
}

// numberLine matches the folded letters and digits of a document's number
// line ("Số: 123/TB-UBND", "Mã hồ sơ: 000.00..."), which stands between
// heading and title and is neither.
var numberLine = regexp.MustCompile(`^(so|ma|mau)[a-z]*[0-9]`)

// plain is words folded, letters and digits only, digits left as read.
func plain(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		for _, r := range fold(t.text) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// documentType reads the title: the first lines in capitals after the
// motto (the first page's top when there is none), and names the type its
// wording says.
func documentType(rs []*row) (typ string, confidence float64, title *Field) {
	from := mottoAt(rs) + 1
	var run []*row
	for i := from; i < len(rs) && i < from+12; i++ {
		r := rs[i]
		share, letters := capitals(r.toks)
		heading := share >= 0.7 && letters >= 5 && !isMotto(r) && !numberLine.MatchString(plain(r.toks))
		if heading {
			run = append(run, r)
			if len(run) == 3 {
				break
			}
			continue
		}
		if len(run) > 0 {
			break
		}
	}
	if len(run) > 0 {
		if t, c, f := classify(run); t != "" {
			return t, c, f
		}
	}
	// No title in capitals where it belongs: any line of the page's top
	// third, mostly in capitals, that reads as one. Running text that
	// names a procedure ("... đăng ký thường trú ...") is no title: a
	// page of it continues the document before it.
	var best *Field
	bestT, bestC := "", 0.0
	top := pageTop(rs)
	for _, r := range rs {
		if share, _ := capitals(r.toks); r.box[3] > top || isMotto(r) || share < 0.5 {
			continue
		}
		if t, c, f := classify([]*row{r}); t != "" && c > bestC {
			best, bestT, bestC = f, t, c
		}
	}
	return bestT, bestC, best
}

// pageTop is the y below which a page's top third ends, by its rows.
func pageTop(rs []*row) int {
	if len(rs) == 0 {
		return 0
	}
	lo, hi := rs[0].box[1], rs[0].box[3]
	for _, r := range rs {
		lo, hi = min(lo, r.box[1]), max(hi, r.box[3])
	}
	return lo + (hi-lo)/3
}

func classify(rs []*row) (string, float64, *Field) {
	var toks []token
	var text string
	for _, r := range rs {
		toks = append(toks, r.toks...)
		text += rowKey(r)
	}
	type cand struct {
		typ        string
		dist, at   int
		n          int
		similarity float64
	}
	var cs []cand
	for _, t := range titleKeys {
		d, at := within(t.key, text)
		if d <= tolerance(len(t.key)) {
			cs = append(cs, cand{t.typ, d, at, len(t.key), 1 - float64(d)/float64(len(t.key)+1)})
		}
	}
	if len(cs) == 0 {
		return "", 0, nil
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.at/4 != b.at/4 { // the earliest, give or take a misread letter or two
			return a.at < b.at
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return a.dist < b.dist
	})
	f := newField(rs[0].page, toks, "")
	f.Value = clean(f.Raw)
	f.Confidence *= cs[0].similarity
	return cs[0].typ, f.Confidence, f
}

// issuingOffice is the heading's last line above the motto (or beside it,
// where the heading stands in the left column), the body that issued the
// document.
func issuingOffice(rs []*row) *Field {
	m := mottoAt(rs)
	if m < 0 {
		return nil
	}
	var lines [][]token
	for i := 0; i < m; i++ {
		lines = append(lines, rs[i].toks)
	}
	// Two columns: the heading's words left of the motto's, on its row and
	// the next.
	for i := m; i <= m+1 && i < len(rs); i++ {
		cut := mottoStart(rs[i])
		if cut > 0 {
			lines = append(lines, rs[i].toks[:cut])
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		toks := lines[i]
		share, letters := capitals(toks)
		if letters < 4 || share < 0.7 {
			continue
		}
		if numberLine.MatchString(plain(toks)) {
			continue
		}
		f := newField(rs[0].page, toks, "")
		f.Value = clean(f.Raw)
		return f
	}
	return nil
}

// mottoStart is the first word of the motto on a row, 0 when the row
// opens with it or has none.
func mottoStart(r *row) int {
	for i := 1; i < len(r.toks); i++ {
		var k string
		for _, t := range r.toks[i:] {
			k += t.key
		}
		for _, m := range []string{mottoKey, mottoTwo} {
			if len(k) >= len(m)-2 && distanceUpTo(k[:min(len(k), len(m))], m, 3) <= 3 {
				return i
			}
		}
	}
	return 0
}

var dateLine = regexp.MustCompile(`ngay` + between + `(` + digitClass + `{1,2})` + between + `thang` + between + `(` + digitClass + `{1,2})` + between + `nam` + between + `(` + digitClass + `{4})`)

// issueDate is the document's date line, "Place, ngày dd tháng mm năm
// yyyy": the first on its pages where a short place name and a comma come
// before the date.
func issueDate(pages [][]*row) *Field {
	for _, rs := range pages {
		for _, r := range rs {
			text, starts := dateText(r.toks)
			m := dateLine.FindStringSubmatchIndex(text)
			if m == nil {
				continue
			}
			// The place: a few words, closed by a comma (or what OCR made
			// of it), or no more than four without one. Specks OCR read
			// about it ("¡", ":") are no words of it.
			before := strings.TrimSpace(text[:m[0]])
			var words []string
			for _, w := range strings.Fields(before) {
				if hasAlnum(w) {
					words = append(words, w)
				}
			}
			comma := strings.HasSuffix(before, ",") || strings.HasSuffix(before, ";")
			if len(words) == 0 || len(words) > 7 || !comma && (len(words) > 4 || len(findLabels(r)) > 0) {
				continue
			}
			// "Sinh ngày ...", "cấp ngày ...": a date, not the document's.
			if last := strings.Trim(words[len(words)-1], ",;"); last == "sinh" || last == "cap" {
				continue
			}
			first, last := 0, 0
			for k, s := range starts {
				if s <= m[0] {
					first = k
				}
				if s < m[1] {
					last = k
				}
			}
			f := newField(r.page, r.toks[first:last+1], "")
			d, mo, y := atoi(digitsOf(text[m[2]:m[3]])), atoi(digitsOf(text[m[4]:m[5]])), atoi(digitsOf(text[m[6]:m[7]]))
			return checkDate(f, d, mo, y, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	}
	return nil
}
