package raster

import (
	"image"
	"math"
	"slices"
	"testing"
)

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

// TestRedPrint: on a red chroma plane at 100 dpi, a line of red letters
// and a block of red lines are print, kept from the dropout; a seal's
// broken rings and star, and a guilloche over the whole page, are not.
func TestRedPrint(t *testing.T) {
	const dpi = 100.0
	mm := dpi / 25.4
	plane := func(draw func(x, y float64) bool) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, int(210*mm), int(297*mm)))
		for y := 0; y < g.Rect.Dy(); y++ {
			for x := 0; x < g.Rect.Dx(); x++ {
				if draw(float64(x)/mm, float64(y)/mm) {
					g.Pix[y*g.Stride+x] = 90
				}
			}
		}
		return g
	}
	// letters: 2.5 x 3.5 mm blocks 1 mm apart, in lines 6 mm apart
	letters := func(x0, y0, x1 float64, lines int) func(x, y float64) bool {
		return func(x, y float64) bool {
			if x < x0 || x > x1 || y < y0 || y > y0+float64(lines)*6 {
				return false
			}
			return math.Mod(x-x0, 3.5) < 2.5 && math.Mod(y-y0, 6) < 3.5
		}
	}
	seal := func(x, y float64) bool {
		d := math.Hypot(x-150, y-230)
		ring := math.Abs(d-18) < 0.6 || math.Abs(d-14) < 0.3
		broken := math.Mod(math.Atan2(y-230, x-150)*180/math.Pi+360, 20) < 14 // ink missing every 20°
		star := d < 7 && math.Abs(x-150) < 0.5
		return ring && broken || star
	}
	guilloche := func(x, y float64) bool {
		return math.Mod(y+3*math.Sin(x/9), 2.8) < 0.3 || math.Mod(x+3*math.Sin(y/7), 3.3) < 0.3
	}
	for _, tc := range []struct {
		name string
		draw func(x, y float64) bool
		kept int
	}{
		{"a red title line", letters(40, 20, 170, 1), 1},
		{"a red letterhead of five lines", letters(30, 20, 180, 5), 1},
		{"a seal broken every 20°", seal, 0},
		{"a title and a seal", func(x, y float64) bool { return letters(40, 20, 170, 1)(x, y) || seal(x, y) }, 1},
		{"a guilloche", guilloche, 0},
	} {
		red := plane(tc.draw)
		out, kept := RedPrint(red, dpi)
		t.Logf("%s: %d clusters of print kept", tc.name, kept)
		if kept != tc.kept {
			t.Errorf("%s: %d clusters of print kept, want %d", tc.name, kept, tc.kept)
		}
		// What is kept has no chroma left; a seal beside it keeps its own,
		// to be dropped; the plane given is not changed.
		at := func(x, y float64) uint8 { return out.Pix[int(y*mm)*out.Stride+int(x*mm)] }
		if title := at(41, 21); tc.kept > 0 && title != 0 {
			t.Errorf("%s: the title's chroma %d after RedPrint, want 0", tc.name, title)
		}
		if ring := at(150, 230-18); tc.draw(150, 230-18) && ring != 90 {
			t.Errorf("%s: the seal's ring has chroma %d after RedPrint, want 90", tc.name, ring)
		}
		if !slices.Equal(red.Pix, plane(tc.draw).Pix) {
			t.Errorf("%s: RedPrint changed the plane it was given", tc.name)
		}
	}
}
