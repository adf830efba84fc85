package ocr

import "testing"

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name, ref, hyp          string
		edits, marked, markErrs int
		toneOnly                int
	}{
		{"identical", "Việt Nam", "Việt Nam", 0, 1, 0, 0},
		{"decomposed hyp equals precomposed ref", "Việt", "Vie\u0323\u0302t", 0, 1, 0, 0},
		{"whitespace is layout", "a  b\nc", "a b c", 0, 0, 0, 0},
		{"tone mark wrong", "Nguyễn", "Nguyên", 1, 1, 1, 1},
		{"marked letter dropped", "đất", "đt", 1, 2, 1, 0},
		{"plain letter wrong", "Hà Nội", "Ha Nội", 1, 2, 1, 1},
		{"insertion", "ab", "axb", 1, 0, 0, 0},
		{"empty hyp", "ệ ử", "", 3, 2, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Compare(tc.ref, tc.hyp)
			if s.Edits != tc.edits || s.MarkedChars != tc.marked || s.MarkErrors != tc.markErrs || s.ToneOnly != tc.toneOnly {
				t.Errorf("Compare(%q, %q) = %+v, want edits %d marked %d markErrors %d toneOnly %d",
					tc.ref, tc.hyp, s, tc.edits, tc.marked, tc.markErrs, tc.toneOnly)
			}
		})
	}
	if got := Compare("abcd", "abce").CER(); got != 0.25 {
		t.Errorf("CER = %v, want 0.25", got)
	}
}
