package extract

import (
	"slices"
	"strings"

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
var districtByToneless = placeIndex(districtNames)

// placeIndex maps each of names without its tone marks, in lower case, to
// the names it could be, as written.
func placeIndex(names []string) map[string][]string {
	m := map[string][]string{}
	for _, n := range names {
		k := strings.ToLower(toneless(n))
		if !slices.Contains(m[k], n) {
			m[k] = append(m[k], n)
		}
	}
	return m
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

// streetNames are names streets across the country are given: the
// kings, heroes, scholars and events the same few hundred streets of every
// city are named after, and the best known streets of the centrally run
// cities, written from common knowledge of them, not from any test set.
// A street's name after "đường" or "phố" that OCR read with tone marks
// wrong ("đường Đỉnh Tiên Hoàng") is written as here when exactly one
// name here differs from it by tone marks alone; other names stay as
// read.
var streetNames = splitNames(`
Trần Hưng Đạo; Lê Lợi; Nguyễn Huệ; Hai Bà Trưng; Lý Thường Kiệt; Lê Duẩn; Quang Trung; Nguyễn Trãi;
Trần Phú; Lê Lai; Phan Chu Trinh; Phan Bội Châu; Nguyễn Du; Hùng Vương; Điện Biên Phủ; Lê Thánh Tông;
Lê Thánh Tôn; Trần Quang Khải; Nguyễn Văn Cừ; Nguyễn Thị Minh Khai; Võ Thị Sáu; Cách Mạng Tháng Tám;
Nam Kỳ Khởi Nghĩa; Nguyễn Đình Chiểu; Hoàng Văn Thụ; Hoàng Diệu; Lê Hồng Phong; Nguyễn Thái Học;
Tôn Đức Thắng; Lý Thái Tổ; Trần Nhân Tông; Trần Thái Tông; Trần Thánh Tông; Đinh Tiên Hoàng; Đinh Bộ Lĩnh;
Lê Đại Hành; Ngô Quyền; Lý Nam Đế; Bà Triệu; Triệu Quang Phục; Mai Hắc Đế; Phùng Hưng; Lê Văn Sỹ;
Lê Văn Lương; Nguyễn Văn Linh; Võ Văn Kiệt; Võ Nguyên Giáp; Phạm Văn Đồng; Phạm Hùng; Trường Chinh;
Lê Đức Thọ; Xuân Thủy; Tô Hiến Thành; Chu Văn An; Nguyễn Bỉnh Khiêm; Nguyễn Khuyến; Nguyễn Công Trứ;
Cao Bá Quát; Hồ Xuân Hương; Bùi Thị Xuân; Lê Quý Đôn; Phạm Ngũ Lão; Yết Kiêu; Trần Khánh Dư;
Trần Bình Trọng; Trần Quốc Toản; Nguyễn Tri Phương; Hoàng Hoa Thám; Phan Đình Phùng; Phan Đình Giót;
Kim Mã; Giảng Võ; Láng Hạ; Thái Hà; Tây Sơn; Chùa Bộc; Đội Cấn; Văn Cao; Liễu Giai; Quán Thánh;
Hàng Bài; Tràng Tiền; Hàng Bông; Bạch Đằng; Âu Cơ; Lạc Long Quân; An Dương Vương; Duy Tân; Trần Duy Hưng;
Nguyễn Chí Thanh; Hoàng Quốc Việt; Phạm Văn Bạch; Cầu Giấy; Trần Đăng Ninh; Nguyễn Phong Sắc;
Tôn Thất Tùng; Tôn Thất Thuyết; Phạm Ngọc Thạch; Lê Trọng Tấn; Nguyễn Tất Thành; Nguyễn Văn Trỗi;
Hoàng Sa; Trường Sa; Nguyễn Hữu Thọ; Huỳnh Tấn Phát; Nguyễn Thị Định; Lý Tự Trọng; Đồng Khởi;
Mạc Đĩnh Chi; Mạc Thị Bưởi; Nguyễn An Ninh; Phan Xích Long; Phan Đăng Lưu; Lê Quang Định;
Nơ Trang Long; Nguyễn Oanh; Nguyễn Kiệm; Phan Văn Trị; Hồ Tùng Mậu; Hàm Nghi; Thái Phiên; Núi Thành;
Trưng Nữ Vương; Ngô Gia Tự; Ông Ích Khiêm; Hoàng Văn Thái; Nguyễn Lương Bằng; Trần Cao Vân; Hà Huy Tập;
Đinh Công Tráng; Nguyễn Hữu Cảnh; Lương Định Của; Mai Chí Thọ; Kha Vạn Cân; Võ Văn Ngân; Lê Văn Việt;
Đỗ Xuân Hợp; Nguyễn Duy Trinh; Phan Huy Ích; Dương Quảng Hàm; Nguyễn Văn Lượng; Thích Quảng Đức;
Hoàng Minh Giám; Trần Kế Xương; Nguyễn Trọng Tuyển; Trần Huy Liệu; Cộng Hòa; Út Tịch; Bành Văn Trân;
Lũy Bán Bích; Trần Quốc Thảo; Nguyễn Thị Thập; Lê Văn Thọ; Quang Trung; Thống Nhất; Nguyễn Văn Đậu;
Lê Thánh Tông; Trần Đại Nghĩa; Giải Phóng; Tam Trinh; Minh Khai; Lạc Trung; Kim Ngưu; Bạch Mai;
Nguyễn Lương Bằng; Tôn Đức Thắng; Khâm Thiên; Lê Duẩn; Nguyễn Văn Huyên; Trần Cung; Phạm Văn Đồng;
Nguyễn Xiển; Nguyễn Trãi; Lê Văn Hưu; Nguyễn Cơ Thạch; Hồ Tùng Mậu; Mỹ Đình; Trần Bình; Dịch Vọng;
Nguyễn Khánh Toàn; Nguyễn Văn Huyên; Phạm Tuấn Tài; Trần Quý Kiên; Trần Quốc Hoàn; Đặng Thùy Trâm;
Nguyễn Đình Thi; Thụy Khuê; Lạc Long Quân; Âu Cơ; Nghi Tàm; Yên Phụ; Phó Đức Chính; Trúc Bạch;
Hoàng Quốc Việt; Phạm Văn Chiêu; Lê Lai; Lê Hồng Phong; Nguyễn Văn Thoại; Hồ Nghinh; Võ Văn Tần;
Nguyễn Thiện Thuật; Nguyễn Đình Chính; Huỳnh Thúc Kháng; Trần Khát Chân; Đại Cồ Việt; Nguyễn Phúc Lai;
Nguyễn Hoàng; Lê Trung Nghĩa; Trần Văn Ơn; Phan Đình Phùng; Hoàng Hoa Thám; Lê Văn Duyệt;
`)

// streetByToneless maps a street name without its tone marks, in lower
// case, to the names it could be.
var streetByToneless = placeIndex(streetNames)

// streetName writes words[at:], a street's name, as streetNames does when
// they are one of its names with tone marks misread (keeping the case of
// its first letter).
func streetName(words []string, at int) {
	if at >= len(words) || !startsUpper(words[at]) {
		return
	}
	c := streetByToneless[strings.ToLower(toneless(norm.NFC.String(strings.Join(words[at:], " "))))]
	if len(c) != 1 {
		return
	}
	copy(words[at:], strings.Fields(c[0]))
}
