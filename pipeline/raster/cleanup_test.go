package raster

import (
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// textPage draws "print" at dpi: lines of letter-sized boxes (stems, the
// arch at the x-line, serifs on the baseline) 2.4 mm high, a line every
// 7 mm, ink of 25 on paper of 235.
func textPage(w, h int, dpi float64, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 235
	}
	mm := dpi / 25.4
	r := rand.New(rand.NewPCG(seed, 3))
	xh, pitch := int(2.4*mm), int(7*mm)
	for base := int(30 * mm); base < h-int(25*mm); base += pitch {
		for x := int(25 * mm); x < w-int(25*mm); {
			lw := xh/2 + r.IntN(xh) // a letter
			fillRect(g, x, base-xh, x+max(2, int(0.3*mm)), base, 25)
			fillRect(g, x+lw-max(2, int(0.3*mm)), base-xh, x+lw, base, 25)
			fillRect(g, x, base-xh, x+lw, base-xh+max(2, int(0.25*mm)), 25)
			fillRect(g, x-1, base-max(2, int(0.25*mm)), x+lw+1, base, 25) // bowl and serifs
			x += lw + int(0.6*mm)
			if r.IntN(6) == 0 {
				x += int(2 * mm) // a space
			}
		}
	}
	return g
}

func fillRect(g *image.Gray, x0, y0, x1, y1 int, v uint8) {
	for y := max(0, y0); y < min(g.Rect.Dy(), y1); y++ {
		for x := max(0, x0); x < min(g.Rect.Dx(), x1); x++ {
			g.Pix[y*g.Stride+x] = v
		}
	}
}

func TestMeasureTextAndPaper(t *testing.T) {
	// An A4 sheet at 100 and 200 dpi: the sheet's shape gives the
	// resolution; cut to a strip of no paper's shape, the text alone does,
	// from its 2.4-mm x-height (a little more than BodyXHeight's 2.34).
	for _, dpi := range []float64{100, 200} {
		w, h := int(8.27*dpi), int(11.69*dpi)
		g := textPage(w, h, dpi, 1)
		s, ok := MeasureText(g)
		if !ok || math.Abs(s.XHeight/(2.4*dpi/25.4)-1) > 0.1 {
			t.Errorf("%.0f dpi: x-height %.1f px (ok %v), want %.1f", dpi, s.XHeight, ok, 2.4*dpi/25.4)
		}
		e, ok := EstimateDPI(g, image.Rectangle{})
		if !ok || e.Paper != "A4" || math.Abs(e.DPI/dpi-1) > 0.01 {
			t.Errorf("%.0f dpi A4: estimate %+v", dpi, e)
		}
		strip := &image.Gray{Pix: g.Pix, Stride: g.Stride, Rect: image.Rect(0, 0, w, h/3)}
		e, ok = EstimateDPI(strip, image.Rectangle{})
		if !ok || e.Paper != "" || math.Abs(e.DPI/dpi-1) > 0.15 {
			t.Errorf("%.0f dpi strip: estimate %+v", dpi, e)
		}
	}
	// No text: an A4-shaped blank has only its shape to go by.
	blank := image.NewGray(image.Rect(0, 0, 1654, 2339))
	for i := range blank.Pix {
		blank.Pix[i] = 240
	}
	if e, ok := EstimateDPI(blank, image.Rectangle{}); !ok || e.DPI != 200 || e.FromText != 0 {
		t.Errorf("blank A4 at 200 dpi: estimate %+v, ok %v", e, ok)
	}
}

// chromaOf computes Chroma planes (R−Y, B−Y where positive) at half
// resolution from an RGB image, as the scan package does.
func chromaPlanes(img *image.RGBA) (red, blue *image.Gray) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	r := image.Rect(0, 0, (w+1)/2, (h+1)/2)
	red, blue = image.NewGray(r), image.NewGray(r)
	for cy := 0; cy < r.Dy(); cy++ {
		for cx := 0; cx < r.Dx(); cx++ {
			var sr, sb, n int
			for y := 2 * cy; y < min(h, 2*cy+2); y++ {
				for x := 2 * cx; x < min(w, 2*cx+2); x++ {
					p := img.Pix[img.PixOffset(x, y):]
					yy := (19595*int(p[0]) + 38470*int(p[1]) + 7471*int(p[2]) + 1<<15) >> 16
					sr += max(0, int(p[0])-yy)
					sb += max(0, int(p[2])-yy)
					n++
				}
			}
			red.Pix[cy*red.Stride+cx], blue.Pix[cy*blue.Stride+cx] = uint8(sr/n), uint8(sb/n)
		}
	}
	return red, blue
}

func TestDropoutKeepsBlack(t *testing.T) {
	const w, h = 400, 200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	set := func(x0, y0, x1, y1 int, r, g, b uint8) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				copy(img.Pix[img.PixOffset(x, y):], []uint8{r, g, b, 255})
			}
		}
	}
	set(0, 0, w, h, 236, 234, 228)   // paper
	set(20, 40, 380, 52, 25, 25, 28) // a black rule of print
	set(20, 120, 380, 132, 25, 25, 28)
	set(100, 0, 112, h, 200, 40, 50) // a red stroke down across both
	set(300, 0, 306, h, 35, 60, 160) // a blue one
	set(100, 40, 112, 52, 22, 8, 10) // where red ink lies on black print
	set(300, 120, 306, 132, 10, 12, 25)
	g := image.NewGray(img.Rect)
	for i := range g.Pix {
		p := img.Pix[4*i:]
		g.Pix[i] = uint8((19595*int(p[0]) + 38470*int(p[1]) + 7471*int(p[2]) + 1<<15) >> 16)
	}
	red, blue := chromaPlanes(img)
	rs, bs := ColourInk(red, blue)
	if !WorthDropping(rs) || !WorthDropping(bs) {
		t.Fatalf("colour ink shares %.4f, %.4f: not worth dropping", rs, bs)
	}
	Dropout(g, red, blue, 2, BlackLevel(g))
	at := func(x, y int) uint8 { return g.Pix[y*g.Stride+x] }
	for _, c := range []struct {
		name string
		x, y int
		dark bool
	}{
		{"red ink", 106, 90, false}, {"blue ink", 303, 90, false},
		{"black print", 60, 46, true}, {"black print under red", 106, 46, true},
		{"black print under blue", 303, 126, true}, {"edge of print by red", 99, 46, true},
		{"paper", 200, 90, false},
	} {
		if v := at(c.x, c.y); (v < 128) != c.dark {
			t.Errorf("%s at (%d,%d): gray %d after dropout", c.name, c.x, c.y, v)
		}
	}
	if v := at(106, 90); v < 215 {
		t.Errorf("red ink only lightened to %d, not to paper", v)
	}
	// A grey page has no chroma; a colour page without coloured ink is
	// not worth a pass.
	set(0, 0, w, h, 236, 234, 228)
	set(20, 40, 380, 52, 25, 25, 28)
	red, blue = chromaPlanes(img)
	if rs, bs := ColourInk(red, blue); WorthDropping(rs) || WorthDropping(bs) {
		t.Errorf("black print on paper: colour ink shares %.4f, %.4f", rs, bs)
	}
}

func TestBorderFoundAndRemoved(t *testing.T) {
	dpi := 100.0
	g := textPage(827, 1169, dpi, 2)
	if HasDarkEdge(g) || FindBorder(g, dpi) != nil {
		t.Fatal("border found on a page without one")
	}
	// The glass shows 10 mm down the left edge and 6 mm along the top.
	fillRect(g, 0, 0, 40, 1169, 30)
	fillRect(g, 0, 0, 827, 24, 30)
	if !HasDarkEdge(g) {
		t.Fatal("dark edges not seen")
	}
	b := FindBorder(g, dpi)
	if b == nil {
		t.Fatal("no border found")
	}
	text := g.Pix[int(30*dpi/25.4+0)*g.Stride : int(40*dpi/25.4)*g.Stride]
	before := append([]uint8(nil), text...)
	b.Remove(g)
	for _, p := range [][2]int{{5, 500}, {38, 900}, {400, 10}, {20, 20}} {
		if v := g.Pix[p[1]*g.Stride+p[0]]; v < 200 {
			t.Errorf("border pixel %v left at %d", p, v)
		}
	}
	for i := range text {
		if x := i % g.Stride; x > int(27*dpi/25.4) && text[i] != before[i] {
			t.Fatalf("print at x=%d changed by border removal", x)
		}
	}
	if b.Sheet.Min.X < 40 || b.Sheet.Min.Y < 24 || b.Sheet.Max.X != 827 {
		t.Errorf("sheet %v, want from (40,24) to the right edge", b.Sheet)
	}
}

func TestFlattenEvensLight(t *testing.T) {
	dpi := 100.0
	g := textPage(827, 1169, dpi, 3)
	if s := LightSpread(g, dpi, nil); s > 0.05 {
		t.Errorf("evenly lit page: spread %.3f", s)
	}
	// Dim towards the bottom right, to 40 % of the light.
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			tt := (float64(x)/827 + float64(y)/1169) / 2
			g.Pix[y*g.Stride+x] = uint8(float64(g.Pix[y*g.Stride+x]) * (1 - 0.6*tt*tt))
		}
	}
	if s := LightSpread(g, dpi, nil); s < 0.4 {
		t.Errorf("page dimmed to 40 %%: spread %.3f", s)
	}
	Flatten(g, MeasureBackground(g, dpi, nil))
	// Paper between lines, top left and bottom right, now alike; print
	// still dark.
	paper := func(x, y int) uint8 { return g.Pix[y*g.Stride+x] }
	if a, b := paper(100, 100), paper(780, 1130); math.Abs(float64(a)-float64(b)) > 12 {
		t.Errorf("paper %d top left, %d bottom right after flattening", a, b)
	}
	if s := LightSpread(g, dpi, nil); s > 0.08 {
		t.Errorf("flattened page: spread %.3f", s)
	}
	var dark int
	for _, v := range g.Pix {
		if v < 100 {
			dark++
		}
	}
	if dark == 0 {
		t.Error("print lost in flattening")
	}
}

func TestDespeckleOnlySpeckledPages(t *testing.T) {
	dpi := 200.0
	page := textPage(1654, 1169, dpi, 4)
	// Dots as big as Vietnamese needs (0.4 mm: the dot below, the dot of
	// i) under some letters.
	var dots [][2]int
	for i := 0; i < 40; i++ {
		x, y := 250+i*30, 236+8
		fillRect(page, x, y, x+3, y+3, 25)
		dots = append(dots, [2]int{x + 1, y + 1})
	}
	// Dust as big as those dots, in the margin, far from any letter.
	var lone [][2]int
	for i := 0; i < 20; i++ {
		x, y := 40, 250+i*40
		fillRect(page, x, y, x+3, y+3, 25)
		lone = append(lone, [2]int{x + 1, y + 1})
	}
	clean := CleanForOCR(cloneGray(page), dpi, 128, true)
	if clean.Specks != 0 {
		t.Errorf("clean page: %d specks erased", clean.Specks)
	}
	// Sprinkle 1-2 px specks at 5 per square centimetre.
	r := rand.New(rand.NewPCG(5, 5))
	speckled := cloneGray(page)
	area := float64(1654*1169) / (dpi * dpi / 6.4516)
	n := int(5 * area)
	for i := 0; i < n; i++ {
		x, y, s := r.IntN(1650), r.IntN(1165), 1+r.IntN(2)
		fillRect(speckled, x, y, x+s, y+s, 30)
	}
	c := CleanForOCR(speckled, dpi, 128, true)
	if c.Specks < n/2 {
		t.Errorf("speckled page: %d of %d specks erased", c.Specks, n)
	}
	for _, d := range dots {
		if speckled.Pix[d[1]*speckled.Stride+d[0]] > 128 {
			t.Fatalf("dot at %v erased as a speck", d)
		}
	}
	// On the speckled page, dots that big away from every letter are dust.
	for _, d := range lone {
		if speckled.Pix[d[1]*speckled.Stride+d[0]] < 128 {
			t.Errorf("lone dot at %v left on a speckled page", d)
		}
	}
	if off := CleanForOCR(cloneGray(speckled), dpi, 128, false); off.Specks != 0 {
		t.Error("specks erased with despeckling off")
	}
}

func cloneGray(g *image.Gray) *image.Gray {
	c := image.NewGray(g.Rect)
	copy(c.Pix, g.Pix)
	return c
}

func TestBlurSigma(t *testing.T) {
	g := textPage(827, 1169, 100, 6)
	for _, sigma := range []float64{0, 1.5, 3} {
		b := cloneGray(g)
		if sigma > 0 {
			gaussBlur(b, sigma)
		}
		got, n := BlurSigma(b)
		want := math.Hypot(sigma, 0.5) // a sharp step measures about half a pixel
		if n < 200 || math.Abs(got-want) > 0.25*want+0.2 {
			t.Errorf("blur σ %.1f: measured %.2f px over %d edges, want about %.2f", sigma, got, n, want)
		}
	}
}

func gaussBlur(g *image.Gray, sigma float64) {
	k := int(math.Ceil(3 * sigma))
	wt := make([]float64, 2*k+1)
	var sum float64
	for i := range wt {
		d := float64(i - k)
		wt[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += wt[i]
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, v := range wt {
				s += v * float64(g.Pix[y*g.Stride+min(max(x+i-k, 0), w-1)])
			}
			tmp[y*w+x] = s / sum
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, v := range wt {
				s += v * tmp[min(max(y+i-k, 0), h-1)*w+x]
			}
			g.Pix[y*g.Stride+x] = uint8(s/sum + 0.5)
		}
	}
}

// TestBlockMeans: the blocks' means, summed a column at a time, are the
// means of their sampled pixels, on sizes that leave part blocks at the
// edges.
func TestBlockMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := image.NewGray(image.Rect(0, 0, 203, 157))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	for _, block := range []int{2, 7, 8, 12} {
		for _, step := range []int{1, 2, 4} {
			bw, bh := (203+block-1)/block, (157+block-1)/block
			got := blockMeans(g, block, bw, bh, step)
			for by := range bh {
				for bx := range bw {
					var sum, n float64
					for y := by * block; y < min(157, (by+1)*block); y++ {
						for x := bx * block; x < min(203, (bx+1)*block); x++ {
							if y%step == 0 && x%step == 0 {
								sum += float64(g.Pix[y*g.Stride+x])
								n++
							}
						}
					}
					want := 0.0
					if n > 0 {
						want = sum / n
					}
					if got[by*bw+bx] != want {
						t.Fatalf("block %d, step %d, block (%d, %d): mean %v, want %v", block, step, bx, by, got[by*bw+bx], want)
					}
				}
			}
		}
	}
}

// TestMaxFilter: the running window maxima are the naive search's, for
// windows wider and narrower than the grid.
func TestMaxFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, size := range [][2]int{{1, 1}, {7, 3}, {31, 17}, {5, 40}} {
		w, h := size[0], size[1]
		v := make([]float64, w*h)
		for i := range v {
			v[i] = float64(rng.IntN(2560)) / 10
		}
		for _, k := range []int{0, 1, 4, 9} {
			got := maxFilter(v, w, h, k)
			for y := range h {
				for x := range w {
					want := 0.0
					for j := max(0, y-k); j <= min(h-1, y+k); j++ {
						for i := max(0, x-k); i <= min(w-1, x+k); i++ {
							want = max(want, v[j*w+i])
						}
					}
					if got[y*w+x] != want {
						t.Fatalf("%dx%d, k %d, (%d, %d): %v, want %v", w, h, k, x, y, got[y*w+x], want)
					}
				}
			}
		}
	}
}

// TestAnyUnder: the word-at-a-time test agrees with byte by byte.
func TestAnyUnder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 200000 {
		// Mostly bytes at or over the threshold, now and then one under
		// (often just under): both answers, and the edges, often.
		th := uint32(1 + rng.IntN(255))
		var b [8]byte
		for i := range b {
			switch rng.IntN(16) {
			case 0:
				b[i] = uint8(rng.IntN(int(th)))
			case 1:
				b[i] = uint8(th - 1)
			default:
				b[i] = uint8(int(th) + rng.IntN(256-int(th)))
			}
		}
		want := false
		for _, v := range b {
			want = want || uint32(v) < th
		}
		if got := AnyUnder(binary.LittleEndian.Uint64(b[:]), th); got != want {
			t.Fatalf("AnyUnder(% x, %d) = %v, want %v", b, th, got, want)
		}
	}
}

// TestNextUnder: the next byte under a threshold, found a word at a time,
// is the one a byte-by-byte search finds, from every start.
func TestNextUnder(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	row := make([]byte, 61)
	for range 300 {
		for i := range row {
			row[i] = uint8(200 + rng.IntN(56))
			if rng.IntN(20) == 0 {
				row[i] = uint8(rng.IntN(256))
			}
		}
		th := uint32(rng.IntN(257))
		for x := 0; x <= len(row); x++ {
			want := len(row)
			for i := x; i < len(row); i++ {
				if uint32(row[i]) < th {
					want = i
					break
				}
			}
			if got := NextUnder(row, x, th); got != want {
				t.Fatalf("NextUnder(from %d, under %d) = %d, want %d", x, th, got, want)
			}
		}
	}
}
