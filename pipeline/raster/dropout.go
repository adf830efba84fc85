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
	black, _ := Tones(g)
	return black
}

// Tones returns, from every few rows of g, the luminance of its black
// print (as BlackLevel) and the share of its pixels that are ink (at or
// below Otsu's threshold).
func Tones(g *image.Gray) (black uint8, inkShare float64) {
	var hist [256]int
	w, h := g.Rect.Dx(), g.Rect.Dy()
	step := max(1, h/600)
	n := 0
	for y := 0; y < h; y += step {
		for _, v := range g.Pix[y*g.Stride:][:w] {
			hist[v]++
		}
		n += w
	}
	if n == 0 {
		return 0, 0
	}
	t, _, _ := Otsu(&hist)
	ink := 0
	for _, c := range hist[:t+1] {
		ink += c
	}
	return blackLevel(&hist, t), float64(ink) / float64(n)
}

// blackLevel returns the level of the print's black in hist, whose
// Otsu threshold is t: the first quartile of the pixels at or below t.
// Where that class holds, besides the print, more of a much lighter ink
// (a certificate's guilloche on its pink paper, a tinted form's pattern,
// a large seal), its quartile lies in that ink; Otsu's split of the class
// then finds the print apart from it, and the darker part's quartile, a
// MinInkContrast darker or more, is the black, if there is print enough.
func blackLevel(hist *[256]int, t int) uint8 {
	b := quartile(hist, t)
	var dark [256]int
	copy(dark[:t+1], hist[:t+1])
	if t2, _, _ := Otsu(&dark); t2 > 0 && t2 < t {
		n, part := 0, 0
		for v := 0; v <= t; v++ {
			if n += hist[v]; v <= t2 {
				part += hist[v]
			}
		}
		// The darker part must be print, not the odd speck of dust on a
		// blank page, whose noise is the whole darker class.
		if d := quartile(hist, t2); int(b)-int(d) >= MinInkContrast && part*minPrintShare >= n {
			return d
		}
	}
	return b
}

// minPrintShare: the print is at least 1/minPrintShare of a page's dark
// pixels where a pattern outnumbers it (blackLevel). Generated pages on
// guilloche have it at a tenth; the specks on a blank page at a
// thousandth.
const minPrintShare = 50

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

// Red print. Certificates print their titles and headings in red (a
// land-use certificate's title, a form's letterhead), and dropping red ink
// wholesale dropped those words with the seal. Red ink is taken in
// clusters, its pieces within clusterGap of each other: a seal is one
// cluster, its patchy rings, star and name together, 30-45 mm across; red
// print is a line or lines of letters, a cluster less than sealMin tall,
// or wider than any seal with nearly blank rows between its lines; a
// pattern (a guilloche, a tint) spreads wide with red in every row. Print is kept
// from the dropout; seals and patterns go.
const (
	clusterGap = 3.0  // mm
	sealMin    = 20.0 // mm: red print shorter than this is a line or two
	sealMax    = 60.0 // mm: no seal is wider
	// lineMax is the height of a line of print, its marks included: a
	// shorter cluster is print whatever its width, a taller one under
	// sealMin only if twice as wide as tall (a seal's star is not).
	lineMax = 8.0 // mm
	// lineGaps is the share of a tall, wide cluster's rows nearly without
	// red (sparseRows) that makes it lines of print, not a pattern: red
	// letterheads of generated pages measure 0.49-0.60, a land-use
	// certificate's guilloche 0.07.
	lineGaps   = 0.25
	stripWidth = 10.0 // mm
)

// RedPrint returns red, a page's red chroma plane at dpi, with its red
// print kept out (its chroma zeroed, so that Dropout leaves it), and the
// number of clusters of print kept. red itself is not changed.
func RedPrint(red *image.Gray, dpi float64) (*image.Gray, int) {
	w, h := red.Rect.Dx(), red.Rect.Dy()
	mm := dpi / 25.4
	k := max(1, int(clusterGap/2*mm+0.5))
	ink := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x, v := range red.Pix[y*red.Stride:][:w] {
			ink[y*w+x] = v >= chromaInk
		}
	}
	runs, clusters, of := components(grow(ink, w, h, k), 0)
	keep := make([]bool, len(clusters))
	kept := 0
	for i, c := range clusters {
		cw, ch := float64(c.x1-c.x0+1-2*int32(k))/mm, float64(c.y1-c.y0+1-2*int32(k))/mm
		switch {
		case ch < sealMin:
			keep[i] = ch <= lineMax || cw >= 2*ch
		case cw <= sealMax:
			continue // a seal
		default:
			keep[i] = sparseRows(ink, w, c, k, mm) >= lineGaps
		}
		if keep[i] {
			kept++
		}
	}
	if kept == 0 {
		return red, 0
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(out.Pix[y*w:][:w], red.Pix[y*red.Stride:][:w])
	}
	// The grown cluster, not only its ink: the letters' soft edges, of
	// weaker chroma, would still be lightened.
	for i, r := range runs {
		if keep[of[i]] {
			clear(out.Pix[int(r.y)*w+int(r.x0) : int(r.y)*w+int(r.x1)+1])
		}
	}
	return out, kept
}

// grow returns ink grown by k pixels each way (a square of 2k+1), as an
// image for components: 0 where ink is near, 255 elsewhere.
func grow(ink []bool, w, h, k int) *image.Gray {
	row := make([]bool, len(ink))
	for y := 0; y < h; y++ {
		n := 0 // ink in the window
		for x := -k; x < w; x++ {
			if x+k < w && ink[y*w+x+k] {
				n++
			}
			if x-k-1 >= 0 && ink[y*w+x-k-1] {
				n--
			}
			if x >= 0 {
				row[y*w+x] = n > 0
			}
		}
	}
	// Down the columns, a row at a time: each column's count of grown
	// rows in the window.
	out := image.NewGray(image.Rect(0, 0, w, h))
	count := make([]int32, w)
	for y := -k; y < h; y++ {
		if y+k < h {
			for x, v := range row[(y+k)*w:][:w] {
				if v {
					count[x]++
				}
			}
		}
		if y-k-1 >= 0 {
			for x, v := range row[(y-k-1)*w:][:w] {
				if v {
					count[x]--
				}
			}
		}
		if y >= 0 {
			o := out.Pix[y*w:][:w]
			for x, c := range count {
				if c == 0 {
					o[x] = 255
				}
			}
		}
	}
	return out
}

// sparseRows is the share of cluster c's rows (its grown box less k)
// with under a quarter of the mean red of its rows: the gaps between lines
// of print, where a pattern's rows are all alike. Between lines of print
// the tone marks of the next line leave few rows wholly blank; and the
// page is not yet straightened, so rows are counted in strips stripWidth
// wide, across which a line tilted by 10° rises less than a line's gap.
// It is the mean over the strips that hold red.
func sparseRows(ink []bool, w int, c blob, k int, mm float64) float64 {
	y0, y1 := int(c.y0)+k, int(c.y1)-k
	x0, x1 := int(c.x0)+k, int(c.x1)-k
	if y1 < y0 || x1 < x0 {
		return 0
	}
	sw := max(1, int(stripWidth*mm))
	counts := make([]int, y1-y0+1)
	var sum float64
	strips := 0
	for sx := x0; sx <= x1; sx += sw {
		ex := min(x1, sx+sw-1)
		total := 0
		for y := y0; y <= y1; y++ {
			counts[y-y0] = 0
			for _, v := range ink[y*w+sx : y*w+ex+1] {
				if v {
					counts[y-y0]++
				}
			}
			total += counts[y-y0]
		}
		if total == 0 {
			continue
		}
		sparse := 0
		for _, n := range counts {
			if 4*n*len(counts) < total {
				sparse++
			}
		}
		sum += float64(sparse) / float64(len(counts))
		strips++
	}
	if strips == 0 {
		return 0
	}
	return sum / float64(strips)
}
