package raster

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestQuarterTurnCorners(t *testing.T) {
	// A 4×2 image: its top-left corner after each clockwise turn.
	for _, tc := range []struct {
		turns        int
		wantX, wantY float64
		wantW, wantH int
	}{
		{0, 0, 0, 4, 2}, {1, 2, 0, 2, 4}, {2, 4, 2, 4, 2}, {3, 0, 4, 2, 4},
	} {
		m, w, h := QuarterTurn(tc.turns, 4, 2)
		x, y := m.Apply(0, 0)
		if !near(x, tc.wantX) || !near(y, tc.wantY) || w != tc.wantW || h != tc.wantH {
			t.Errorf("turns %d: top-left -> (%v,%v) size %dx%d, want (%v,%v) %dx%d", tc.turns, x, y, w, h, tc.wantX, tc.wantY, tc.wantW, tc.wantH)
		}
	}
}

func TestEXIFKeepsImageInFrame(t *testing.T) {
	for o := 1; o <= 8; o++ {
		m, w, h := EXIF(o, 40, 30)
		for _, p := range [][2]float64{{0, 0}, {40, 0}, {0, 30}, {40, 30}} {
			x, y := m.Apply(p[0], p[1])
			if x < -1e-9 || y < -1e-9 || x > float64(w)+1e-9 || y > float64(h)+1e-9 {
				t.Errorf("orientation %d maps corner %v outside %dx%d: (%v,%v)", o, p, w, h, x, y)
			}
		}
	}
}

func TestThenInvert(t *testing.T) {
	m := RotateAbout(7.5, 100, 50).Then(Scale(2, 3)).Then(Translate(5, -4))
	x, y := m.Then(m.Invert()).Apply(13, 17)
	if !near(x, 13) || !near(y, 17) {
		t.Errorf("m·m⁻¹ moved (13,17) to (%v,%v)", x, y)
	}
	// Counter-clockwise on screen: a point right of the centre moves up.
	_, y = RotateAbout(10, 0, 0).Apply(10, 0)
	if y >= 0 {
		t.Errorf("counter-clockwise rotation moved a right-hand point down (y=%v)", y)
	}
}

// TestRenderStrips: rendering in strips (as a page turned a quarter is)
// gives the same pixels as row by row, margins and all.
func TestRenderStrips(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 301, 211))
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for turns := range 4 {
		// A bare quarter turn is copied (renderExact), in strips when
		// turned: the same pixels as sampling at their centres.
		turn, ow, oh := QuarterTurn(turns, w, h)
		if !quarter(turn.Invert()) {
			t.Fatalf("turned %d: %v is not taken for a bare quarter turn", turns, turn.Invert())
		}
		copied, sampled := Render(src, turn.Invert(), ow, oh), image.NewGray(image.Rect(0, 0, ow, oh))
		render(sampled, src, turn.Invert(), ow)
		if !bytes.Equal(copied.Pix, sampled.Pix) {
			t.Errorf("turned %d: the copy differs from the sampling", turns)
		}
		for _, skew := range []float64{0.3, -7.25} {
			turn, ow, oh := QuarterTurn(turns, w, h)
			toSrc := turn.Then(RotateAbout(skew, float64(ow)/2, float64(oh)/2)).Invert()
			rows := image.NewGray(image.Rect(0, 0, ow, oh))
			render(rows, src, toSrc, ow)
			for _, strip := range []int{1, 13, renderStrip} {
				strips := image.NewGray(image.Rect(0, 0, ow, oh))
				render(strips, src, toSrc, strip)
				if !bytes.Equal(rows.Pix, strips.Pix) {
					t.Errorf("turned %d, tilted %.2f°: strips of %d differ from rows", turns, skew, strip)
				}
			}
		}
	}
}
