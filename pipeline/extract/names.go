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
// to the names it could be; nameByBare without any mark at all (Ă, Â, Ơ,
// Ư, Ê, Ô as their plain letters, Đ as D), which OCR loses as often as
// tones on a degraded page (HÀNG for HẰNG, NGUYÊN for NGUYỄN).
var (
	nameByToneless = byToneless(nameSyllables)
	nameByBare     = byKey(nameSyllables, bare)
	nameSet        = setOf(nameByToneless)

	familyByToneless = byToneless(familyNames)
	familyByBare     = byKey(familyNames, bare)
	familySet        = setOf(familyByToneless)
)

func byToneless(names []string) map[string][]string { return byKey(names, toneless) }

// byKey maps key of each of names, in capitals, to the names with that key.
func byKey(names []string, key func(string) string) map[string][]string {
	m := map[string][]string{}
	for _, n := range names {
		u := strings.ToUpper(norm.NFC.String(n))
		k := key(u)
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

// bare is w in capitals without any of its marks, Đ as D.
func bare(w string) string { return strings.ToUpper(fold(w)) }

// mendNameWord returns the name that w, a word of a name in capitals
// (NFC), was misread from when OCR got its marks wrong: w itself when it
// is a name in the stock; else the one name that differs from it by the
// tone alone, or failing that the one that differs by any marks; else w.
func mendNameWord(w string) string {
	if nameSet[w] {
		return w
	}
	if m, ok := mendBy(w, nameByToneless, nameByBare); ok {
		return m
	}
	return w
}

// mendFamilyName mends w, the first word of a name, which is the family
// name: a first word that is no family name but differs from exactly one
// by its marks is that one (NGUYÊN, a given name, first is NGUYỄN; Ngõ is
// Ngô, not the given name Ngọ), else it is mended as any word of a name.
func mendFamilyName(w string) string {
	if familySet[w] {
		return w
	}
	if m, ok := mendBy(w, familyByToneless, familyByBare); ok {
		return m
	}
	return mendNameWord(w)
}

func mendBy(w string, byTone, byBare map[string][]string) (string, bool) {
	if c := byTone[toneless(w)]; len(c) == 1 {
		return c[0], true
	} else if len(c) > 1 {
		return "", false // the tone alone leaves two names: no guess
	}
	if c := byBare[bare(w)]; len(c) == 1 {
		return c[0], true
	}
	return "", false
}

// splitJoined splits w, a word of a name in capitals that is no name,
// where OCR lost the space between two (BÙITHANH, LÊMINH): into the one
// pair of names of the stock it is made of, if there is exactly one.
func splitJoined(w string) ([]string, bool) {
	if nameSet[w] || vowelGroups(w) < 2 {
		// One run of vowels is one syllable, whatever names its halves
		// spell (THUYÊN is no THU YÊN).
		return nil, false
	}
	var pair []string
	rs := []rune(w)
	for i := 1; i < len(rs); i++ {
		a, b := string(rs[:i]), string(rs[i:])
		if nameSet[a] && nameSet[b] {
			if pair != nil {
				return nil, false // two ways to split: no guess
			}
			pair = []string{a, b}
		}
	}
	return pair, pair != nil
}

// mendName mends the words of a name, in capitals (NFC), read in order:
// words OCR joined are split, the family name mended as one, the others
// as names.
func mendName(words []string) []string {
	var out []string
	for _, w := range words {
		if parts, ok := splitJoined(w); ok {
			out = append(out, parts...)
		} else {
			out = append(out, w)
		}
	}
	for i, w := range out {
		if i == 0 && len(out) > 1 {
			out[i] = mendFamilyName(w)
		} else {
			out[i] = mendNameWord(w)
		}
	}
	return out
}

// vowelGroups counts the runs of vowels in w: a syllable has one.
func vowelGroups(w string) int {
	n, in := 0, false
	for _, r := range bare(w) {
		v := strings.ContainsRune("AEIOUY", r)
		if v && !in {
			n++
		}
		in = v
	}
	return n
}
