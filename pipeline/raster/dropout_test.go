package raster

import "testing"

// TestBlackLevelUnderPattern: a page's black is its print's, even where a
// lighter pattern outnumbers the print among the dark pixels; on plain
// print it is the dark class's first quartile.
func TestBlackLevelUnderPattern(t *testing.T) {
	var plain, patterned [256]int
	plain[245] = 90000 // paper
	for v := 20; v < 40; v++ {
		plain[v] = 150 // cores
	}
	for v := 40; v < 200; v += 10 {
		plain[v] = 100 // soft edges
	}
	patterned = plain
	for v := 160; v < 180; v++ {
		patterned[v] += 1500 // a guilloche's lines, ten times the print
	}
	for _, tc := range []struct {
		name     string
		hist     *[256]int
		lo, high uint8
	}{{"plain print", &plain, 20, 45}, {"print under a pattern", &patterned, 20, 45}} {
		t0, _, _ := Otsu(tc.hist)
		b := blackLevel(tc.hist, t0)
		t.Logf("%s: Otsu %d, black %d (quartile %d)", tc.name, t0, b, quartile(tc.hist, t0))
		if b < tc.lo || b > tc.high {
			t.Errorf("%s: black %d, want %d-%d", tc.name, b, tc.lo, tc.high)
		}
	}
}
