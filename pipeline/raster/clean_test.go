package raster

import (
	"image"
	"math/rand/v2"
	"testing"
)

func TestRemoveLeaders(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 600, 100))
	for i := range g.Pix {
		g.Pix[i] = 240
	}
	dot := func(x, y int) {
		for dy := 0; dy < 3; dy++ {
			for dx := 0; dx < 3; dx++ {
				g.Pix[(y+dy)*g.Stride+x+dx] = 10
			}
		}
	}
	// A leader: 30 dots at a 10-px pitch on y=50.
	for k := 0; k < 30; k++ {
		dot(100+10*k, 50)
	}
	// A dot-below mark on the same line, off the leader's grid.
	dot(204, 50)
	// Sentence punctuation: three dots far apart on y=20, and an ellipsis
	// of three; neither is a leader.
	dot(50, 20)
	dot(250, 20)
	dot(450, 20)
	for k := 0; k < 3; k++ {
		dot(500+8*k, 20)
	}
	// A letter with a dot below it, level with nothing.
	for y := 70; y < 85; y++ {
		for x := 20; x < 30; x++ {
			g.Pix[y*g.Stride+x] = 10
		}
	}
	dot(24, 88)

	n := RemoveLeaders(g, 300, 128)
	if n != 30 {
		t.Errorf("erased %d dots, want the leader's 30", n)
	}
	ink := func(x, y int) bool { return g.Pix[(y+1)*g.Stride+x+1] < 128 }
	for k := 0; k < 30; k++ {
		if ink(100+10*k, 50) {
			t.Errorf("leader dot %d left", k)
		}
	}
	for _, p := range [][2]int{{204, 50}, {50, 20}, {250, 20}, {450, 20}, {500, 20}, {516, 20}, {24, 88}} {
		if !ink(p[0], p[1]) {
			t.Errorf("dot at %v erased, but it is not part of a leader", p)
		}
	}
}

// A value typed over a leader: a dot-below mark that falls on the leader's
// grid, bigger than its dots and right under its letter, is kept; a dot as
// big on the grid with no letter above (noise that fattened a leader dot)
// is erased with the rest.
func TestRemoveLeadersKeepsDotBelow(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 600, 100))
	for i := range g.Pix {
		g.Pix[i] = 240
	}
	box := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				g.Pix[y*g.Stride+x] = 10
			}
		}
	}
	for k := 0; k < 40; k++ {
		box(100+10*k, 60, 102+10*k, 62) // 2×2 leader dots at a 10-px pitch
	}
	box(196, 30, 208, 55) // a letter over the leader
	box(200, 59, 204, 63) // its dot below, 4×4, at a grid position
	box(400, 59, 404, 63) // a fat dot at a grid position, nothing above
	n := RemoveLeaders(g, 300, 128)
	ink := func(x, y int) bool { return g.Pix[y*g.Stride+x] < 128 }
	if !ink(202, 61) {
		t.Error("the dot below the letter was erased")
	}
	if ink(402, 61) {
		t.Error("a fat leader dot with nothing above was kept")
	}
	if ink(150, 60) || ink(490, 60) {
		t.Error("leader dots left")
	}
	if n != 39 {
		t.Errorf("erased %d dots, want 39 (40 on the grid, less the dot below)", n)
	}
}

// TestComponentsRuns: passing over paper a word at a time finds the runs
// of ink a pixel-by-pixel scan finds, at every threshold.
func TestComponentsRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	g := image.NewGray(image.Rect(0, 0, 131, 23))
	for i := range g.Pix {
		g.Pix[i] = uint8(200 + rng.IntN(56))
		if rng.IntN(12) == 0 {
			g.Pix[i] = uint8(rng.IntN(256))
		}
	}
	for _, th := range []uint8{0, 90, 199, 230, 254, 255} {
		runs, _, _ := components(g, th)
		var want []run
		for y := range 23 {
			for x := 0; x < 131; x++ {
				if g.Pix[y*g.Stride+x] > th {
					continue
				}
				x0 := x
				for x < 131 && g.Pix[y*g.Stride+x] <= th {
					x++
				}
				want = append(want, run{y: int32(y), x0: int32(x0), x1: int32(x - 1)})
			}
		}
		if len(runs) != len(want) {
			t.Fatalf("threshold %d: %d runs, want %d", th, len(runs), len(want))
		}
		for i, r := range runs {
			if r.y != want[i].y || r.x0 != want[i].x0 || r.x1 != want[i].x1 {
				t.Fatalf("threshold %d: run %d is %+v, want %+v", th, i, r, want[i])
			}
		}
	}
}
