package ocr

import "testing"

func TestIsSyllable(t *testing.T) {
	for _, c := range []struct {
		word string
		want bool
	}{
		// every onset, rimes with glides and finals, all tones, any case
		{"Nghị", true}, {"định", true}, {"Quyết", true}, {"của", true}, {"và", true},
		{"người", true}, {"khoảng", true}, {"giữa", true}, {"gì", true}, {"gìn", true},
		{"thuyền", true}, {"hướng", true}, {"Ủy", true}, {"ĐƯỢC", true}, {"xoong", true},
		{"nghiêng", true}, {"tỉnh", true}, {"oái", true}, {"khuya", true}, {"chuyện", true},
		// what upside-down and sideways readings are made of
		{"8uotpị", false}, {"rJd", false}, {"tregu", false}, {"ÿA", false}, {"uẹnb", false},
		{"dẹud", false}, {"sQ", false}, {"tdgqd", false}, {"nLóg", false},
		// two tone marks, letters that are not Vietnamese, empty
		{"hóà", false}, {"wifi", false}, {"", false}, {"12", false},
	} {
		if got := IsSyllable(c.word); got != c.want {
			t.Errorf("IsSyllable(%q) = %v, want %v", c.word, got, c.want)
		}
	}
}

func TestPlausibility(t *testing.T) {
	words := func(ws ...string) []Word {
		var out []Word
		for _, w := range ws {
			out = append(out, Word{Text: w})
		}
		return out
	}
	upright := words("Căn", "cứ", "Luật", "Tổ", "chức", "Chính", "phủ", "ngày", "18/02/2025;", "PCRT/TTKB")
	if s, ok := Plausibility(upright); !ok || s < 0.99 {
		t.Errorf("upright reading: %.2f, %v", s, ok)
	}
	upsideDown := words("7TIHdH3A8d4L1/H3L1/IM", "ủA", "uiậïu", "2duioto", "8uäp", "tô|", "rêu", "8uont", "tregu")
	if s, ok := Plausibility(upsideDown); !ok || s > 0.4 {
		t.Errorf("upside-down reading: %.2f, %v", s, ok)
	}
	if _, ok := Plausibility(words("12", "3.4", "—")); ok {
		t.Error("numbers alone judged")
	}
}
