package raster

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// syntheticPage draws 150-dpi "text": lines of word-shaped blocks with an
// x-height core, and ascender strokes and marks above it more often than
// descenders below, as Latin and Vietnamese script have.
func syntheticPage(seed uint64) *image.Gray {
	const w, h = 1240, 1754
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 235
	}
	r := rand.New(rand.NewPCG(seed, 1))
	fill := func(x0, y0, x1, y1 int) {
		for y := max(0, y0); y < min(h, y1); y++ {
			for x := max(0, x0); x < min(w, x1); x++ {
				g.Pix[y*w+x] = 20
			}
		}
	}
	for base := 150; base < h-150; base += 30 {
		x := 150
		for x < w-200 {
			wl := 20 + r.IntN(70)
			fill(x, base-10, x+wl, base) // x-height core
			for c := x; c < x+wl; c += 6 {
				switch r.IntN(6) {
				case 0, 1: // ascender or tone mark
					fill(c, base-17, c+2, base-11)
				case 2: // descender
					fill(c, base, c+2, base+5)
				}
			}
			x += wl + 8
		}
	}
	return g
}

func TestMeasureFindsTurnsAndSkew(t *testing.T) {
	page := syntheticPage(7)
	var worst float64
	for _, tc := range []struct {
		turns int
		skew  float64
	}{{0, 0}, {0, 3.3}, {0, -11.2}, {2, 0}, {2, 7.4}, {1, 0}, {1, -4.1}, {3, 14.0}, {0, -14.6}} {
		// Build the scanned page: tilt the upright page, then turn it the
		// other way, and see whether Measure undoes both.
		b := page.Bounds()
		tilt := RotateAbout(tc.skew, float64(b.Dx())/2, float64(b.Dy())/2)
		turn, tw, th := QuarterTurn(-tc.turns, b.Dx(), b.Dy())
		scanned := Render(page, tilt.Then(turn).Invert(), tw, th)
		l := Measure(FindInk(scanned, 150))
		if l.Turns != tc.turns {
			t.Errorf("turned %d, tilted %.1f°: found %d turns", tc.turns, tc.skew, l.Turns)
			continue
		}
		e := math.Abs(l.Skew - tc.skew)
		worst = max(worst, e)
		if e > 0.15 {
			t.Errorf("turned %d, tilted %.1f°: found skew %.3f° (error %.3f°)", tc.turns, tc.skew, l.Skew, e)
		}
		t.Logf("turned %d, tilted %+.1f°: found %d turns, skew %+.3f° (error %.3f°), up confidence %.2f",
			tc.turns, tc.skew, l.Turns, l.Skew, e, l.UpConfidence)
	}
	t.Logf("worst skew error %.3f°", worst)
}

func TestBlankPageHasNoInk(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 600, 800))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(225 + r.IntN(20)) // paper texture
	}
	for i := 0; i < 30; i++ { // faint show-through
		g.Pix[r.IntN(len(g.Pix))] = 200
	}
	if k := FindInk(g, 150); len(k.X) != 0 {
		t.Errorf("blank paper: found %d ink pixels (contrast %.0f)", len(k.X), k.Contrast)
	}
}

// TestFadedPrintHasInk: print faded to a quarter of its darkness is ink,
// marked faint; the same print at full strength is not faint.
func TestFadedPrintHasInk(t *testing.T) {
	for _, tc := range []struct {
		ink   uint8
		faint bool
	}{{185, true}, {20, false}} {
		g := image.NewGray(image.Rect(0, 0, 600, 800))
		for i := range g.Pix {
			g.Pix[i] = 250
		}
		// Rows of letters: 2-px strokes of letters 10 px wide, 12 tall,
		// with soft edges a level between ink and paper.
		for y0 := 60; y0 < 740; y0 += 30 {
			for x0 := 40; x0 < 560; x0 += 14 {
				for y := y0; y < y0+12; y++ {
					for x := x0; x < x0+10; x++ {
						v := uint8(250)
						switch {
						case x-x0 < 2 || x-x0 >= 8 || y-y0 < 2:
							v = tc.ink
						case x-x0 == 2 || x-x0 == 7 || y-y0 == 2:
							v = uint8((int(tc.ink) + 250) / 2)
						}
						g.Pix[y*g.Stride+x] = v
					}
				}
			}
		}
		k := FindInk(g, 150)
		t.Logf("print at %d: contrast %.0f, ink %.4f, faint %v", tc.ink, k.Contrast, k.Fraction(), k.Faint)
		if k.Fraction() < 0.05 || k.Faint != tc.faint {
			t.Errorf("print at %d on paper at 250: ink %.4f, faint %v; want ink, faint %v", tc.ink, k.Fraction(), k.Faint, tc.faint)
		}
	}
}

// TestPool: pooling by shifts (a power of two) and by division count the
// same cells, each once, in the order of the grid's rows.
func TestPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var x, y []int32
	for range 5000 {
		x, y = append(x, int32(rng.IntN(301))), append(y, int32(rng.IntN(97)))
	}
	for _, f := range []int{1, 2, 3, 4, 5, 8} {
		px, py, pw := pool(x, y, 301, 97, f)
		cw, ch := (301+f-1)/f, (97+f-1)/f
		want := make([]int32, cw*ch)
		for i := range x {
			want[int(y[i])/f*cw+int(x[i])/f]++
		}
		got := make([]int32, cw*ch)
		last := -1
		for i := range px {
			k := int(py[i])*cw + int(px[i])
			if k <= last {
				t.Fatalf("f %d: cell %d after %d", f, k, last)
			}
			last, got[k] = k, pw[i]
		}
		if !slices.Equal(got, want) {
			t.Errorf("f %d: pooled counts differ", f)
		}
	}
}
