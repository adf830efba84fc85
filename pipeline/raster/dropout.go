package raster

import (
	"image"
)

// Colour dropout. Seals are stamped in red over the signature block and
// often over the last lines of text; signatures are in blue ink. In
// luminance both are as dark as print, and Tesseract reads a seal's ring
// as a line of garbage fused to the words under it. A scanner's dropout
// filter shows the page through a filter of the ink's colour, in which
// that ink is as light as paper and black stays black: the red channel
// for red ink, the blue channel for blue.
//
// The page's luminance Y is at full resolution, its colour (R−Y, B−Y) at
// half (as JPEG keeps it). Each pixel becomes Y + k·(R−Y) + k·(B−Y), with
// the colour of its block: red ink (Y ≈ 90, R−Y ≈ 110) goes to paper, a
// black pixel among red ones only part of the way, since its own Y is low.
// Pixels as dark as the page's black print are left alone outright, so
// that a red stroke across black text leaves the black.

// Dropout limits: colour under chromaFloor is JPEG noise or the tint of
// paper, not ink; a page with fewer than dropoutMinShare of its chroma
// pixels over chromaInk has no coloured ink worth a pass.
const (
	chromaFloor     = 12
	chromaInk       = 40
	dropoutMinShare = 1e-4
	dropoutGain     = 2.5
	// blackBand is how far above the page's black print a pixel's
	// luminance must be before it is lightened fully; below, in part.
	// Blue ballpoint ink is only some 35 levels lighter than print.
	blackBand = 35
)

// ColourInk returns the share of the chroma planes' pixels that show red
// ink and blue ink. Either plane may be nil.
func ColourInk(red, blue *image.Gray) (redShare, blueShare float64) {
	share := func(p *image.Gray) float64 {
		if p == nil || len(p.Pix) == 0 {
			return 0
		}
		n := 0
		for _, v := range p.Pix {
			if v >= chromaInk {
				n++
			}
		}
		return float64(n) / float64(len(p.Pix))
	}
	return share(red), share(blue)
}

// WorthDropping reports whether a share from ColourInk is enough ink of a
// colour to drop.
func WorthDropping(share float64) bool { return share >= dropoutMinShare }

// Dropout lightens, in place, the pixels of g whose colour is that of red
// or blue ink, as given by the chroma planes at 1/scale of g's resolution
// (either plane nil: that colour stays). black is the luminance of the
// page's black print. It returns the number of pixels changed.
func Dropout(g *image.Gray, red, blue *image.Gray, scale int, black uint8) int {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Gain by chroma, in 8.8 fixed point, for the colour over the floor.
	var gain [256]int32
	for c := chromaFloor + 1; c < 256; c++ {
		gain[c] = int32(float64(c-chromaFloor)*dropoutGain*256 + 0.5)
	}
	// How much of that gain a pixel of luminance y takes, in 1/256.
	var part [256]int32
	for y := range part {
		part[y] = int32(min(256, max(0, (y-int(black))*256/blackBand)))
	}
	changed := 0
	add := make([]int32, (w+scale-1)/scale) // gain of each chroma pixel of a row
	for y := 0; y < h; y++ {
		cy := y / scale
		if y%scale == 0 {
			clear(add)
			for _, p := range []*image.Gray{red, blue} {
				if p == nil || cy >= p.Rect.Dy() {
					continue
				}
				for cx, c := range p.Pix[cy*p.Stride:][:min(len(add), p.Rect.Dx())] {
					add[cx] += gain[c]
				}
			}
		}
		row := g.Pix[y*g.Stride:][:w]
		for cx, a := range add {
			if a == 0 {
				continue
			}
			for x := cx * scale; x < min(w, cx*scale+scale); x++ {
				v := row[x]
				if part[v] == 0 {
					continue
				}
				nv := min(255, int32(v)+(a*part[v])>>16)
				if uint8(nv) != v {
					row[x] = uint8(nv)
					changed++
				}
			}
		}
	}
	return changed
}

// BlackLevel returns the luminance of the page's black print: the first
// quartile of the pixels darker than Otsu's threshold (the rest are the
// grey edges of strokes, and coloured ink), sampling every few rows.
func BlackLevel(g *image.Gray) uint8 {
	var hist [256]int
	w, h := g.Rect.Dx(), g.Rect.Dy()
	step := max(1, h/600)
	for y := 0; y < h; y += step {
		for _, v := range g.Pix[y*g.Stride:][:w] {
			hist[v]++
		}
	}
	t, _, _ := Otsu(&hist)
	return blackLevel(&hist, t)
}

// blackLevel returns the level of the print's black in hist, whose
// Otsu threshold is t: the first quartile of the pixels at or below t.
// Where that class holds, besides the print, more of a much lighter ink
// (a certificate's guilloche on its pink paper, a tinted form's pattern,
// a large seal), its quartile lies in that ink; Otsu's split of the class
// then finds the print apart from it, and the darker part's quartile, a
// MinInkContrast darker or more, is the black.
func blackLevel(hist *[256]int, t int) uint8 {
	b := quartile(hist, t)
	var dark [256]int
	copy(dark[:t+1], hist[:t+1])
	if t2, _, _ := Otsu(&dark); t2 > 0 && t2 < t {
		if d := quartile(hist, t2); int(b)-int(d) >= MinInkContrast {
			return d
		}
	}
	return b
}

// quartile returns the first quartile of hist's pixels at or below t.
func quartile(hist *[256]int, t int) uint8 {
	n := 0
	for v := 0; v <= t; v++ {
		n += hist[v]
	}
	c := 0
	for v := 0; v <= t; v++ {
		if c += hist[v]; 4*c >= n {
			return uint8(v)
		}
	}
	return uint8(t)
}
