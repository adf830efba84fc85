package extract

import (
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese names are drawn from a small stock of syllables: a hundred or
// so family names, and a few hundred middle and given names. OCR's usual
// error on a name is a tone mark (MỊNH for MINH, LẬM for LÂM, CỘNG for
// CÔNG): a syllable that is a Vietnamese word, but no name. nameSyllables
// is that stock, written from common usage (family names by frequency,
// the middle and given names of everyday registers, the ordinals a child
// is called by: Hai, Ba, Tư ... Út), not from any test
// set; it need not be complete, because a word not in it is only mended
// when exactly one name in it differs from the word by its tone alone.
var nameSyllables = append(slices.Clone(familyNames), strings.Fields(`
Thị Đức Hữu Minh Thanh Ngọc Quang Xuân Thu Hồng Bảo Gia Công Đình Trọng Quốc
Hoài Anh Mỹ Diệu Thùy Tuấn Khánh Hải Tiến Thành Như Phương Bích Thế Tấn Nhật
Thảo Kiến Chí Mạnh Duy Trung Việt Phúc Tường Vĩnh Nhã Cẩm Ánh Tú Bá Khắc Sỹ Sĩ
An Ân Bình Cường Chi Dung Dũng Đạt Điệp Đông Hạnh Hằng Hân Hiền Hiển Hiếu Hòa
Huệ Hùng Hưng Hương Huy Huyền Khoa Kiên Lan Linh Loan Long Lộc Nam Nga Ngân Nhung
Nhi Oanh Phong Quân Quyên Quỳnh Sơn Tâm Tân Thắng Thắm Thủy Thư Trang Trinh Trí
Tùng Uyên Vân Vinh Vy Yến Khải Lợi Nghĩa Nhân Phát Quý Sang Tài Thịnh Toàn Trâm
Tuyết Thơ Diễm Hậu Hiệp Khang Kiệt Lực Nguyên Phú Thuận Trường Ly Liên Lệ Lụa
Nhàn Tươi Cúc Hạ Chiến Hào Luân Tín Bắc Trình Hiên Thoa Thục Thúy Trà Trúc Vi
Vỹ Ý Yên Hạnh Hoan Huấn Hoàn Khôi Lân Lập Lưu Mẫn Ngữ Nhạn Nhiên Nhơn Phi Phụng
Quyết Sáng Sinh Sương Tám Thạnh Thiện Thông Thuần Thực Tình Tịnh Toản Tri Trực
Tuệ Tuyền Túc Uy Văn Viễn Vĩ Xương Yên Đăng Định Đoan Đô Giao Giáp Hảo Hiệu Hợp
Kha Khiêm Khuê Kỳ Lành Lễ Liêm Linh Loan Lũy Mận Mến Miên Mơ My Na Năng Nết Ngà
Nghị Nguyệt Nhẫn Nhị Nhu Nương Pha Phước Quế Quyền Sen Sửu Tánh Tạo Thái Thắm
Thìn Thoại Thương Tiên Tiệp Trầm Triều Trọng Tuân Tư Út Vàng Vẹn Vượng Xuyến
Dân Diên Dinh Dậu Giàu Hiếu Hưởng Kính Lương Nở Quỳ Thêm Thiệp Thơm Trí
Phượng Hường Liễu Nhài Ngát Gấm Tơ Sa Bông Nguyệt Diệp Duyên Lam Lựu Nương Phụng
Tráng Cương Danh Vọng Thọ Ninh Tinh Thiên Tướng Đại Sáng Tuyên Truyền Chương Học
Bằng Luật Tới Tĩnh Kết Bách Cảnh Khoát Hỷ Triết Hoan Thủy Khuyên Cần Kiệm Liêm
Nhàn Thanh Trang Đoan Tiên Hiển Hiền Nhị Tuyến Chung Thủy Chuyên Tiệp Huân Hoạt
Hai Ba Tư Năm Sáu Bảy Tám Chín Mười Út Cả Chính Đạo Đệ Hiến Khá Lài Lụa Mừng Nhâm Thân Tỵ Ngọ Mùi Tý Sửu Mão Thìn
`)...)

// familyNames are the family names, by frequency.
var familyNames = strings.Fields(`
Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Lò Lâm
Trịnh Đinh Mai Cao Lưu Tạ Đoàn Vương Tô Hà Kiều Quách Lục Chu Đào Triệu Thái
Từ Tăng Lương Mạc Khổng Hứa Châu Diệp Giang La Phùng Quan Tống Thân Nông Âu
Đàm Khúc Bạch Bế Ma Hầu Lạc Đồng Ông Tôn Doãn Văn Lã Lại Trương Nghiêm Mẫn
Thạch Kim Tiêu Viên Ninh Lữ Khương Phí Hàn Cù Vi Hoa Sầm Đàng Cầm Lường Quàng
`)

// nameByToneless maps a name syllable without its tone mark, in capitals,
// to the names it could be.
var nameByToneless = byToneless(nameSyllables)

var nameSet = setOf(nameByToneless)

func byToneless(names []string) map[string][]string {
	m := map[string][]string{}
	for _, n := range names {
		u := strings.ToUpper(norm.NFC.String(n))
		k := toneless(u)
		for _, have := range m[k] {
			if have == u {
				u = ""
			}
		}
		if u != "" {
			m[k] = append(m[k], u)
		}
	}
	return m
}

func setOf(byToneless map[string][]string) map[string]bool {
	m := map[string]bool{}
	for _, ns := range byToneless {
		for _, n := range ns {
			m[n] = true
		}
	}
	return m
}

// toneless is w (NFC) without its tone mark, its vowels' own marks (â, ê,
// ô, ơ, ư, ă) and đ kept.
func toneless(w string) string {
	d := norm.NFD.String(w)
	var b strings.Builder
	for _, r := range d {
		if !strings.ContainsRune(toneMarks, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// mendNameWord returns the name that w, a word of a name in capitals
// (NFC), was misread from when OCR got its tone wrong: w itself when it is
// a name in the stock, or when no name, or more than one, differs from it
// by the tone alone.
func mendNameWord(w string) string {
	if nameSet[w] {
		return w
	}
	if c := nameByToneless[toneless(w)]; len(c) == 1 {
		return c[0]
	}
	return w
}
