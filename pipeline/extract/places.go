package extract

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// districtNames are district-level units (urban districts, rural
// districts, towns and provincial cities) as the register spells them:
// every one of the centrally run cities' and the provinces' capitals and
// the districts most often met around them, written from the official
// list of administrative units, not from any test set. A district name
// after "quận", "huyện", "thị xã" or "thành phố" that OCR read with a
// tone mark wrong ("quận Câu Giấy", "huyện Củ Chỉ") is written as here
// when exactly one name here differs from it by tone marks alone; any
// other name, and one of two that differ so, stays as read: the list
// need not be complete.
var districtNames = splitNames(`
Ba Đình; Hoàn Kiếm; Tây Hồ; Long Biên; Cầu Giấy; Đống Đa; Hai Bà Trưng; Hoàng Mai; Thanh Xuân;
Nam Từ Liêm; Bắc Từ Liêm; Từ Liêm; Hà Đông; Sơn Tây; Sóc Sơn; Đông Anh; Gia Lâm; Thanh Trì; Mê Linh;
Ba Vì; Phúc Thọ; Đan Phượng; Hoài Đức; Quốc Oai; Thạch Thất; Chương Mỹ; Thanh Oai; Thường Tín;
Phú Xuyên; Ứng Hòa; Mỹ Đức;
Bình Thạnh; Gò Vấp; Phú Nhuận; Tân Bình; Tân Phú; Bình Tân; Thủ Đức; Củ Chi; Hóc Môn; Bình Chánh;
Nhà Bè; Cần Giờ;
Hải Châu; Thanh Khê; Sơn Trà; Ngũ Hành Sơn; Liên Chiểu; Cẩm Lệ; Hòa Vang; Hoàng Sa;
Hồng Bàng; Ngô Quyền; Lê Chân; Hải An; Kiến An; Đồ Sơn; Dương Kinh; An Dương; An Lão; Kiến Thụy;
Tiên Lãng; Vĩnh Bảo; Thủy Nguyên; Cát Hải; Bạch Long Vĩ;
Ninh Kiều; Bình Thủy; Cái Răng; Ô Môn; Thốt Nốt; Phong Điền; Cờ Đỏ; Thới Lai; Vĩnh Thạnh;
Thuận Hóa; Phú Xuân; Hương Thủy; Hương Trà; Quảng Điền; Phú Vang; Phú Lộc; A Lưới; Nam Đông;
Long Xuyên; Châu Đốc; Tân Châu; Vũng Tàu; Bà Rịa; Phú Mỹ; Bắc Giang; Bắc Kạn; Bạc Liêu; Bắc Ninh;
Từ Sơn; Bến Tre; Quy Nhơn; An Nhơn; Thủ Dầu Một; Dĩ An; Thuận An; Bến Cát; Tân Uyên; Đồng Xoài;
Phan Thiết; La Gi; Cà Mau; Cao Bằng; Buôn Ma Thuột; Buôn Hồ; Gia Nghĩa; Điện Biên Phủ; Biên Hòa;
Long Khánh; Cao Lãnh; Sa Đéc; Hồng Ngự; Pleiku; An Khê; Ayun Pa; Hà Giang; Phủ Lý; Duy Tiên; Hà Tĩnh;
Hồng Lĩnh; Hải Dương; Chí Linh; Kinh Môn; Vị Thanh; Ngã Bảy; Hòa Bình; Hưng Yên; Mỹ Hào; Nha Trang;
Cam Ranh; Ninh Hòa; Rạch Giá; Hà Tiên; Phú Quốc; Kon Tum; Lai Châu; Đà Lạt; Bảo Lộc; Lạng Sơn;
Lào Cai; Sa Pa; Tân An; Kiến Tường; Nam Định; Vinh; Cửa Lò; Thái Hòa; Ninh Bình; Tam Điệp; Hoa Lư;
Phan Rang - Tháp Chàm; Việt Trì; Phú Thọ; Tuy Hòa; Đồng Hới; Ba Đồn; Tam Kỳ; Hội An; Điện Bàn;
Quảng Ngãi; Đức Phổ; Hạ Long; Móng Cái; Cẩm Phả; Uông Bí; Đông Triều; Quảng Yên; Đông Hà; Quảng Trị;
Sóc Trăng; Vĩnh Châu; Sơn La; Tây Ninh; Hòa Thành; Trảng Bàng; Thái Bình; Thái Nguyên; Sông Công;
Phổ Yên; Thanh Hóa; Sầm Sơn; Bỉm Sơn; Nghi Sơn; Mỹ Tho; Gò Công; Cai Lậy; Trà Vinh; Tuyên Quang;
Vĩnh Long; Bình Minh; Vĩnh Yên; Phúc Yên; Yên Bái; Nghĩa Lộ; Mường Lay; Sông Cầu; Dầu Tiếng;
Yên Lạc; Vĩnh Tường; Tam Đảo; Bình Xuyên; Lập Thạch; Sông Lô; Tam Dương;
Văn Lâm; Văn Giang; Khoái Châu; Kim Động; Ân Thi; Tiên Lữ; Phù Cừ; Yên Mỹ;
Quế Võ; Tiên Du; Yên Phong; Thuận Thành; Gia Bình; Lương Tài;
Nam Sách; Cẩm Giàng; Bình Giang; Gia Lộc; Tứ Kỳ; Ninh Giang; Thanh Miện; Thanh Hà; Kim Thành;
Diễn Châu; Quỳnh Lưu; Nghi Lộc; Hưng Nguyên; Nam Đàn; Đô Lương; Yên Thành; Thanh Chương;
Hoằng Hóa; Quảng Xương; Đông Sơn; Thiệu Hóa; Triệu Sơn; Thọ Xuân; Yên Định; Hậu Lộc; Nga Sơn;
Bến Lức; Đức Hòa; Cần Giuộc; Cần Đước; Long Thành; Nhơn Trạch; Trảng Bom; Vĩnh Cửu; Định Quán;
Châu Thành; Chợ Gạo; Cái Bè; Krông Pắc; Krông Năng; Krông Búk; Ea Kar; Cư Kuin; Buôn Đôn; Lắk;
Ia Grai; Chư Sê; Chư Păh; Đức Cơ; Kim Bảng; Thanh Liêm; Bình Lục; Lý Nhân;
Đông Hưng; Quỳnh Phụ; Hưng Hà; Thái Thụy; Tiền Hải; Kiến Xương; Vũ Thư;
Hải Hậu; Giao Thủy; Xuân Trường; Nghĩa Hưng; Ý Yên; Vụ Bản; Mỹ Lộc; Trực Ninh; Nam Trực;
Gia Viễn; Yên Khánh; Kim Sơn; Yên Mô; Nho Quan; Đức Trọng; Di Linh; Lâm Hà; Đơn Dương;
Tịnh Biên; Chợ Mới; Thoại Sơn; Hòn Đất; Kiên Lương; Cái Nước; Năm Căn; Ngọc Hiển; U Minh;
`)

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ";") {
		if n = strings.Join(strings.Fields(n), " "); n != "" {
			out = append(out, norm.NFC.String(n))
		}
	}
	return out
}

// districtByToneless maps a district name without its tone marks, in
// lower case, to the names it could be.
var districtByToneless = func() map[string][]string {
	m := map[string][]string{}
	for _, n := range districtNames {
		k := strings.ToLower(toneless(n))
		if !containsString(m[k], n) {
			m[k] = append(m[k], n)
		}
	}
	return m
}()

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// districtName is the district that name, read after a district-level
// unit word, is with its tone marks misread, as districtNames spells it;
// empty when it is none or more than one.
func districtName(name string) string {
	if c := districtByToneless[strings.ToLower(toneless(norm.NFC.String(name)))]; len(c) == 1 {
		return c[0]
	}
	return ""
}

// districtUnits are the unit words a district-level name follows,
// folded: quận, huyện, thị xã, thành phố.
var districtUnits = []string{"quan", "huyen", "thi xa", "thanh pho"}

// streetFamily mends the first word of a street named after a person
// ("đường Trân Thái Tông", "đường Đỉnh Tiên Hoàng"), read as words[at],
// to the family name it is with its tone mark misread, when it is no name
// syllable itself and exactly one family name differs from it so (family
// names are a closed list; what
// follows a family name, and streets named otherwise, "Hai Bà Trưng",
// "Hùng Vương", are not touched).
func streetFamily(words []string, at int) {
	if at >= len(words) || !startsUpper(words[at]) {
		return
	}
	w := norm.NFC.String(words[at])
	up := strings.ToUpper(w)
	if nameSet[up] { // a name of its own: "phố Đình Bảng"
		return
	}
	c := familyByToneless[toneless(up)]
	if len(c) != 1 {
		return
	}
	r := []rune(strings.ToLower(c[0]))
	r[0] = unicode.ToUpper(r[0])
	words[at] = string(r)
}
