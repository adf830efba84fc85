package raster

import (
	"image"
	"math"
	"testing"
)

// scanned tilts syntheticPage by skew and turns it so that turns clockwise
// quarter turns bring it back upright.
func scanned(skew float64, turns int) *image.Gray {
	page := syntheticPage(11)
	b := page.Bounds()
	tilt := RotateAbout(skew, float64(b.Dx())/2, float64(b.Dy())/2)
	turn, tw, th := QuarterTurn(-turns, b.Dx(), b.Dy())
	return Render(page, tilt.Then(turn).Invert(), tw, th)
}

// TestMeasureAxisAgreesWithMeasure: told the direction Measure found,
// MeasureAxis finds the same turn and tilt; told the other, it measures
// the tilt along that direction, which is how the orient stage straightens
// a page whose direction reading overruled.
func TestMeasureAxisAgreesWithMeasure(t *testing.T) {
	for _, tc := range []struct {
		turns int
		skew  float64
	}{{0, 2.5}, {1, -6}, {2, 0.4}, {3, 11}} {
		ink := FindInk(scanned(tc.skew, tc.turns), 150)
		m := Measure(ink)
		a := MeasureAxis(ink, tc.turns)
		if a.Turns != tc.turns || m.Turns != tc.turns {
			t.Errorf("turned %d: Measure %d, MeasureAxis %d", tc.turns, m.Turns, a.Turns)
		}
		if math.Abs(a.Skew-tc.skew) > 0.1 || math.Abs(a.Skew-m.Skew) > 0.05 {
			t.Errorf("turned %d, skew %.2f: Measure %.3f, MeasureAxis %.3f", tc.turns, tc.skew, m.Skew, a.Skew)
		}
		// Along the other direction there are no lines: whatever it
		// finds, it must say so with a turn of that direction.
		if o := MeasureAxis(ink, tc.turns+1); o.Turns%2 == tc.turns%2 {
			t.Errorf("forced across the lines, MeasureAxis turned %d", o.Turns)
		}
	}
}

// TestAssessEvidence: a clean page of lines is clear geometry; the same
// page under a dark lid border is not, and says why.
func TestAssessEvidence(t *testing.T) {
	g := scanned(1.5, 0)
	ink := FindInk(g, 150)
	e := Assess(ink, Measure(ink))
	t.Logf("clean: %+v", e)
	if e.Axis < 0.6 || e.Up < 0.3 || e.Lines < 40 || e.Edge > 0.01 {
		t.Errorf("clean page: %+v", e)
	}
	b := g.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < 60; x++ {
			g.Pix[y*g.Stride+x] = 10
		}
	}
	ink = FindInk(g, 150)
	if e := Assess(ink, Measure(ink)); e.Edge < 0.1 {
		t.Errorf("bordered page: edge share %.3f", e.Edge)
	}
}

// TestAssessReusesMeasure: the axis scores Measure keeps for Assess are
// the ones Assess would search for itself, on a page of lines each way.
func TestAssessReusesMeasure(t *testing.T) {
	for turns := range 2 {
		ink := FindInk(scanned(-3.5, turns), 150)
		l := Measure(ink)
		if l.axis == [2]float64{} {
			t.Fatalf("turned %d: Measure kept no axis scores", turns)
		}
		kept := Assess(ink, l)
		l.axis = [2]float64{}
		if searched := Assess(ink, l); kept != searched {
			t.Errorf("turned %d: Assess with Measure's scores %+v, searching again %+v", turns, kept, searched)
		}
	}
}

// TestTextBand picks the band with the most text, not the border.
func TestTextBand(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 400, 1000))
	for i := range g.Pix {
		g.Pix[i] = 240
	}
	paint := func(y0, y1, x1 int) {
		for y := y0; y < y1; y++ {
			for x := 0; x < x1; x++ {
				g.Pix[y*g.Stride+x] = 20
			}
		}
	}
	paint(0, 100, 400)               // a dark border along the top
	for y := 600; y < 780; y += 20 { // the last ends at 768
		paint(y, y+8, 120) // lines of text
	}
	band := TextBand(g, 128, 0.2)
	if r := band.Bounds(); r.Dy() != 200 || r.Min.Y > 600 || r.Max.Y < 768 {
		t.Errorf("band %v, want 200 rows over 600-768", r)
	}
	if r := Turn(band, 1).Bounds(); r.Dx() != 200 || r.Dy() != 400 {
		t.Errorf("turned band is %v", r)
	}
}
