package extract

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Addresses are normalised in their closed vocabulary only: the words
// that name administrative units ("phường", "huyện", "thành phố" ...), the
// provinces, the districts and the streets best known (places.go),
// written as the register writes them when OCR misread their
// tone marks ("huyên" → "huyện", "Hà Nôi" → "Hà Nội", "quận Câu Giấy" →
// "quận Cầu Giấy", "đường Đỉnh Tiên Hoàng" → "đường Đinh Tiên Hoàng").
// Ward names and the rest of a street's name are an open list and stay as
// read.

// unitWords are the words that open an address's parts, as written.
var unitWords = []string{"phường", "xã", "quận", "huyện", "tỉnh", "thành phố", "thị xã", "thị trấn", "thôn", "ấp",
	"xóm", "tổ", "tổ dân phố", "khu phố", "khu", "khối", "đường", "phố", "ngõ", "ngách", "hẻm", "số", "số nhà",
	"buôn", "bản", "khóm", "làng"}

// streetWords may also stand inside a part, after the house number:
// "Số 38 ngõ 85 đường Nguyễn Du".
var streetWords = []string{"ngõ", "ngách", "hẻm", "đường", "phố", "kiệt"}

// provinceNames are the provinces and centrally run cities (the 63 of
// 2008-2025, and Huế, a city of its own since 2025).
var provinceNames = []string{"An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre",
	"Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Cao Bằng", "Đà Nẵng", "Đắk Lắk",
	"Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
	"Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu",
	"Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ",
	"Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh",
	"Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Hồ Chí Minh", "Trà Vinh",
	"Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Huế"}

// normalizeAddress writes an address's unit words and its province as
// the register spells them, restores the tone of syllables that cannot
// lack one (stopTone), and drops the stray full stops OCR leaves inside
// it, between words and inside them (unglue).
func normalizeAddress(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		words := strings.Fields(unglue(p))
		for j, w := range words {
			if len(w) > 1 && strings.HasSuffix(w, ".") {
				w = strings.TrimSuffix(w, ".")
			}
			words[j] = stopTone(w)
		}
		n := spell(words, 0, unitWords)
		for j := n; j < len(words); j++ {
			if j > 0 && strings.ContainsAny(words[j-1], "0123456789") {
				spell(words, j, streetWords)
			}
		}
		for k := range words {
			if f := fold(words[k]); (f == "duong" || f == "pho") && (k == 0 || fold(words[k-1]) != "thanh") {
				streetName(words, k+1)
			}
		}
		// The province: the last part, after "tỉnh" or "thành phố", or
		// alone; else a district after its unit word.
		province := ""
		if i == len(parts)-1 || i >= len(parts)-2 && n > 0 {
			province = provinceName(strings.Join(words[n:], " "), strings.Join(words[:n], " "))
		}
		if province != "" {
			words = append(words[:n], strings.Fields(province)...)
		} else if n > 0 && n < len(words) && slices.Contains(districtUnits, fold(strings.Join(words[:n], " "))) {
			if name := districtName(strings.Join(words[n:], " ")); name != "" {
				words = append(words[:n], strings.Fields(name)...)
			}
		}
		lead := ""
		if i > 0 {
			lead = " "
		}
		parts[i] = lead + strings.Join(words, " ")
	}
	return norm.NFC.String(strings.Join(parts, ","))
}

// unglue parts words OCR glued with a speck read as a full stop between
// two letters ("Trần.Thái Tông", "Thủ Dầu.Một"): no address word holds one.
func unglue(s string) string {
	r := []rune(s)
	for i := 1; i+1 < len(r); i++ {
		if r[i] == '.' && unicode.IsLetter(r[i-1]) && unicode.IsLetter(r[i+1]) {
			r[i] = ' '
		}
	}
	return string(r)
}

// cityNames are the cities run by the centre, provinces of their own.
var cityNames = []string{"Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"}

// provinceName is the province that name, read after the unit word unit
// (or none) at the end of an address, is, as the register spells it: the
// one it is with its tone marks misread, or, after "tỉnh" (among the
// provinces) or "thành phố" (among the cities run by the centre), the only
// one it is with one letter misread, in names long enough that one letter
// does not make another ("tỉnh Đát Lắk" is Đắk Lắk; "tỉnh Xiên Giang",
// Kiên Giang or Tiền Giang, stays as read). Elsewhere a letter off is
// another place: "thị xã Bình Long" is no "Vĩnh Long". Empty when it is
// none.
func provinceName(name, unit string) string {
	k := key(name)
	for _, p := range provinceNames {
		if k == key(p) {
			return p
		}
	}
	var among []string
	switch fold(unit) {
	case "tinh":
		among = provinceNames
	case "thanh pho":
		among = cityNames
	}
	if len(k) < 6 {
		return ""
	}
	found := ""
	for _, p := range among {
		if distanceUpTo(k, key(p), 1) <= 1 {
			if found != "" {
				return ""
			}
			found = p
		}
	}
	return found
}

// spell replaces the unit word that opens words[at:], if one does (the
// longest, folded alike), keeping the case of its first letter; it
// returns where the rest begins.
func spell(words []string, at int, vocab []string) int {
	best := 0
	bestWord := ""
	for _, u := range vocab {
		uw := strings.Fields(u)
		if at+len(uw) > len(words) || len(uw) <= best {
			continue
		}
		same := true
		for k, x := range uw {
			if fold(words[at+k]) != fold(x) {
				same = false
				break
			}
		}
		if same {
			best, bestWord = len(uw), u
		}
	}
	if best == 0 {
		return at
	}
	uw := strings.Fields(bestWord)
	for k, x := range uw {
		if k == 0 && startsUpper(words[at]) {
			r := []rune(x)
			r[0] = unicode.ToUpper(r[0])
			x = string(r)
		}
		words[at+k] = x
	}
	return at + best
}

func startsUpper(w string) bool {
	for _, r := range w {
		return unicode.IsUpper(r)
	}
	return false
}
