package scanset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var digitWords = [...]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// numberWords spells 0 to 9999 as Vietnamese forms write amounts out:
// 21 "hai mươi mốt", 25 "hai mươi lăm", 105 "một trăm linh năm",
// 2025 "hai nghìn không trăm hai mươi lăm".
func numberWords(n int) string {
	if n < 0 || n > 9999 {
		panic(fmt.Sprint("numberWords out of range: ", n))
	}
	if n < 100 {
		return tens(n)
	}
	var parts []string
	th, h, rest := n/1000, n/100%10, n%100
	if th > 0 {
		parts = append(parts, digitWords[th], "nghìn")
	}
	if th > 0 || h > 0 {
		if h > 0 || rest > 0 {
			parts = append(parts, digitWords[h], "trăm")
		}
	}
	switch {
	case rest == 0:
	case rest < 10:
		parts = append(parts, "linh", digitWords[rest])
	default:
		parts = append(parts, tens(rest))
	}
	return strings.Join(parts, " ")
}

func tens(n int) string {
	t, u := n/10, n%10
	switch {
	case n < 10:
		return digitWords[n]
	case t == 1:
		switch u {
		case 0:
			return "mười"
		case 5:
			return "mười lăm"
		}
		return "mười " + digitWords[u]
	}
	s := digitWords[t] + " mươi"
	switch u {
	case 0:
		return s
	case 1:
		return s + " mốt"
	case 5:
		return s + " lăm"
	}
	return s + " " + digitWords[u]
}

// dateWords is a birth date as the "ghi bằng chữ" line of a birth form
// writes it.
func dateWords(d date) string {
	day := numberWords(d.day)
	if d.day <= 10 {
		day = "mồng " + day
	}
	return capitalize(fmt.Sprintf("ngày %s tháng %s năm %s", day, numberWords(d.month), numberWords(d.year)))
}

func capitalize(s string) string {
	r := []rune(s)
	r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	return string(r)
}

// area is a land area in tenths of a square metre, in figures and words.
func area(rng *rand.Rand, from, to int) (figures, words string) {
	whole, tenth := from+rng.IntN(to-from+1), rng.IntN(10)
	if tenth == 0 {
		return fmt.Sprintf("%d m²", whole), capitalize(numberWords(whole)) + " mét vuông"
	}
	return fmt.Sprintf("%d,%d m²", whole, tenth), capitalize(numberWords(whole)) + " phẩy " + digitWords[tenth] + " mét vuông"
}

func phone(rng *rand.Rand) string {
	prefixes := []string{"0912", "0983", "0904", "0868", "0977", "0358", "0389", "0707"}
	return fmt.Sprintf("%s %03d %03d", pick(rng, prefixes), rng.IntN(1000), rng.IntN(1000))
}

func upper(s string) string { return strings.ToUpper(s) }

// bare strips the "tỉnh"/"thành phố" that opens a province name.
func bare(p province) string {
	for _, pre := range []string{"thành phố ", "Thành phố ", "tỉnh "} {
		if strings.HasPrefix(p.name, pre) {
			return strings.TrimPrefix(p.name, pre)
		}
	}
	return p.name
}
