package scan

// Mixed raster content (pdf.Foreground): a page of print on paper split
// into the ink's shape, kept sharp at the scan's resolution as a 1-bit
// mask coded CCITT G4, the ink's colour at low resolution, and the paper
// with the print taken out, at low resolution too, both as JPEG. The
// letters are exactly where and what the scan's threshold makes them; a
// red seal stays red, a blue signature blue, the paper its tone and the
// back's show-through faint.

// #cgo LDFLAGS: -lleptonica
// #include <stdlib.h>
// #include <string.h>
// #include <leptonica/allheaders.h>
// #include "samples.h"
//
// // pix_shrink scales pix down by f, averaging. It takes pix.
// static PIX *pix_shrink(PIX *pix, float f) {
//     PIX *s = pixScaleAreaMap(pix, f, f);
//     pixDestroy(&pix);
//     return s;
// }
//
// // pix_read_jpeg decodes a JPEG in colour, scaled down by reduce (1, 2, 4
// // or 8) as libjpeg decodes.
// static PIX *pix_read_jpeg(const l_uint8 *data, size_t size, int reduce) {
//     l_int32 warn = 0;
//     return pixReadMemJpeg(data, size, 0, reduce, &warn, 0);
// }
//
// // jpeg_layer codes a layer as JPEG at quality q: w x h bytes of grey,
// // or of RGBA quadruplets when rgba, into malloc'd *out (*n bytes).
// static int jpeg_layer(const l_uint8 *px, int w, int h, int rgba, int q, l_uint8 **out, size_t *n) {
//     PIX *pix = pixCreate(w, h, rgba ? 32 : 8);
//     if (!pix) return 1;
//     l_uint32 *data = pixGetData(pix);
//     l_int32 wpl = pixGetWpl(pix);
//     for (int y = 0; y < h; y++) {
//         l_uint32 *line = data + (size_t)y * wpl;
//         if (rgba) {
//             const l_uint8 *s = px + (size_t)y * w * 4;
//             for (int x = 0; x < w; x++) line[x] = rgb_pixel(s[4*x], s[4*x+1], s[4*x+2]);
//         } else {
//             for (int x = 0; x < w; x++) SET_DATA_BYTE(line, x, px[(size_t)y * w + x]);
//         }
//     }
//     int rc = pixWriteMemJpeg(out, n, pix, q, 0) != 0 ? 2 : 0;
//     pixDestroy(&pix);
//     return rc;
// }
//
// // bits_pix makes a 1-bit pix of h rows of wpl 32-bit words (bytes in
// // order, the first pixel in the high bit, 1 for ink).
// // It is enlarged up times (1 or 2) by repeating pixels.
// static PIX *bits_pix(const l_uint8 *bits, int w, int h, int up) {
//     PIX *pix = pixCreate(w, h, 1);
//     if (!pix) return NULL;
//     memcpy(pixGetData(pix), bits, (size_t)h * pixGetWpl(pix) * 4);
//     pixEndianByteSwap(pix); // words hold bytes big-endian
//     if (up == 1) return pix;
//     PIX *big = pixExpandBinaryReplicate(pix, up, up);
//     pixDestroy(&pix);
//     return big;
// }
//
// // g4_of codes a 1-bit pix as CCITT G4 into malloc'd *out (*n bytes);
// // *minisblack says whether 1 decodes as black. It takes pix.
// static int g4_of(PIX *pix, l_uint8 **out, size_t *n, int *minisblack) {
//     if (!pix) return 1;
//     L_COMP_DATA *cid = NULL;
//     int rc = 0;
//     if (pixGenerateCIData(pix, L_G4_ENCODE, 0, 0, &cid) != 0 || !cid) rc = 2;
//     else if (!(*out = malloc(cid->nbytescomp))) rc = 3;
//     else {
//         memcpy(*out, cid->datacomp, cid->nbytescomp);
//         *n = cid->nbytescomp;
//         *minisblack = cid->minisblack;
//     }
//     l_CIDataDestroy(&cid);
//     pixDestroy(&pix);
//     return rc;
// }
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"unsafe"

	"github.com/sohoa/sohoa/pipeline/pdf"
	"github.com/sohoa/sohoa/pipeline/raster"
)

// ChoiceMRC is the choice of a page split into layers (mixed raster
// content): its ink as G4 masks, the paper and the ink's colours as JPEG.
const ChoiceMRC = "mrc"

// The layers' settings. The paper at 75 dpi keeps its tone, stains,
// stamps in pale ink and the show-through a reader expects to see, and
// coloured ink changes colour slowly along a stroke. The JPEG quality is
// low because neither has edges left in it: the edges are the masks'.
const (
	mrcPaperDPI = 75
	mrcQuality  = 50
)

// mrcMidShare is the share of a page's pixels between ink and paper (after
// evening out the light) up to which it is taken as print on paper and
// split into layers. Print has such pixels only at its letters' edges
// (measured: 0.7-1.6 % on the fixtures' and the benchmark's pages); a
// photograph, a screened illustration or a pencil drawing is mostly
// mid-tones, which the layers would reduce to ink or paper.
const mrcMidShare = 0.08

// layers is a page's pixels split for mixed raster content.
type layers struct {
	w, h int
	// even is the page with its light evened out (paper near 255), and
	// vivid ink made paper: the print is what lies at or under ink in it.
	even []byte
	ink  uint8
	// vivid is the mask of vivid ink: 1 bit per pixel, 1 for ink, rows of
	// maskStride bytes, the high bit first.
	vivid []byte
	// light is the mask of light ink (lightInk), as vivid.
	light []byte
	// paper is the paper's colour in cells; printColour the print's, one
	// pixel; vividColour the vivid ink's and lightColour the light ink's
	// in cells (nil: none on the page).
	paper, printColour, vividColour, lightColour image.Image
	// mid is the share of pixels between ink and paper.
	mid float64
}

// maskUnder makes the mask of the pixels of g (w x h bytes) under th, as
// rows of maskStride bytes; with up 2, of g enlarged twice with linear
// interpolation (a new pixel between two is their mean, one amid four
// theirs, rounded down; the last row and column repeat), and returns the
// mask's size. Paper, most of a page, is passed over eight pixels at a
// time: where a run and the run below it, and the pixels just right of
// both, are all at or over th, so is every mean of them.
func maskUnder(g []byte, w, h int, th uint32, up int) (bits []byte, mw, mh int) {
	mw, mh = up*w, up*h
	stride := maskStride(mw)
	bits = make([]byte, stride*mh)
	for y := range h {
		row, next := g[y*w:(y+1)*w], g[y*w:(y+1)*w]
		if y+1 < h && up == 2 {
			next = g[(y+1)*w : (y+2)*w]
		}
		out0 := bits[up*y*stride:][:stride]
		out1 := out0
		if up == 2 {
			out1 = bits[(2*y+1)*stride:][:stride]
		}
		for x := 0; x < w; x++ {
			if x&7 == 0 && x+8 <= w && !raster.AnyUnder(binary.LittleEndian.Uint64(row[x:]), th) &&
				!raster.AnyUnder(binary.LittleEndian.Uint64(next[x:]), th) &&
				(x+8 == w || uint32(row[x+8]) >= th && uint32(next[x+8]) >= th) {
				x += 7
				continue
			}
			a := uint32(row[x])
			if up == 1 {
				if a < th {
					out0[x>>3] |= 0x80 >> (x & 7)
				}
				continue
			}
			c, b, d := uint32(next[x]), a, uint32(next[x])
			if x+1 < w {
				b, d = uint32(row[x+1]), uint32(next[x+1])
			}
			i, j := 2*x, 2*x+1
			if a < th {
				out0[i>>3] |= 0x80 >> (i & 7)
			}
			if (a+b)/2 < th {
				out0[j>>3] |= 0x80 >> (j & 7)
			}
			if (a+c)/2 < th {
				out1[i>>3] |= 0x80 >> (i & 7)
			}
			if (a+b+c+d)/4 < th {
				out1[j>>3] |= 0x80 >> (j & 7)
			}
		}
	}
	return bits, mw, mh
}

// maskStride is the bytes in a row of a mask w pixels wide: whole 32-bit
// words, as Leptonica keeps them.
func maskStride(w int) int { return (w + 31) / 32 * 4 }

// mixedRaster splits the page into layers and encodes them: pdf.Image is
// the paper, with the print and the vivid ink as its Foreground. It
// returns ok false, with no error, for a page that is not print on paper
// (mrcMidShare).
func (p *Page) mixedRaster(colour bool) (im pdf.Image, ok bool, err error) {
	lum, c, w, h, dpi, up, err := p.samples(colour)
	if err != nil {
		return pdf.Image{}, false, err
	}
	l := split(lum, c, w, h, dpi)
	if l.mid > mrcMidShare {
		return pdf.Image{}, false, nil
	}
	paper, err := encodeJPEG(l.paper)
	if err != nil {
		return pdf.Image{}, false, err
	}
	// The print, then light and vivid ink over it where the page has them.
	// Each mask is drawn over the whole page whatever its size, but the
	// light and vivid ones are enlarged with the print's all the same:
	// left on a 200-dpi scan's grid, poppler's renderings of them read
	// worse (20 generated pages: CER 0.0160 against 0.0130).
	add := func(mask *C.PIX, colour image.Image) error {
		m, err := encodeMask(mask)
		if err != nil {
			return err
		}
		return p.addForeground(&paper, m, colour)
	}
	mask, pw, ph := maskUnder(l.even, w, h, uint32(l.ink)+1, up)
	if err := add(C.bits_pix((*C.l_uint8)(unsafe.Pointer(&mask[0])), C.int(pw), C.int(ph), 1), l.printColour); err != nil {
		return pdf.Image{}, false, err
	}
	for _, ink := range []struct {
		bits   []byte
		colour image.Image
	}{{l.light, l.lightColour}, {l.vivid, l.vividColour}} {
		if ink.colour == nil {
			continue
		}
		if err := add(C.bits_pix((*C.l_uint8)(unsafe.Pointer(&ink.bits[0])), C.int(w), C.int(h), C.int(up)), ink.colour); err != nil {
			return pdf.Image{}, false, err
		}
	}
	return paper, true, nil
}

// addForeground puts an ink layer, its mask and its colour, over im.
func (p *Page) addForeground(im *pdf.Image, mask pdf.Image, colour image.Image) error {
	c, err := encodeJPEG(colour)
	if err != nil {
		return fmt.Errorf("compact page %d: %w", p.Number, err)
	}
	im.Foreground = append(im.Foreground, pdf.Foreground{Mask: mask, Colour: c})
	return nil
}

// colour is a colour page's RGB triplets, w x h, on a grid that may be
// coarser than the luminance's: a JPEG is decoded at half size or less
// (libjpeg scales as it decodes, for a fraction of the time), since the
// colour of ink and paper is wanted at the paper layer's resolution.
type colour struct {
	rgb  []byte
	w, h int
}

// mrcFineDPI is the resolution below which a page's masks are made at
// twice its scan's, interpolated: at 200 dpi a tone mark is a few pixels,
// and a mask on the scan's own grid breaks them (OCR of the layers of the
// fixtures' 200-dpi pages read them with a CER of 0.013, against 0.005
// from the originals and from a mask at 400 dpi). At 300 dpi a mask at
// 600 dpi read no better (fixtures' CER 0.0119 against 0.0086). Only the
// print's threshold is taken at twice the resolution: the split itself,
// the light and the layers' colours, is measured on the scan's grid, a
// quarter of the pixels (the split at 400 dpi was a fifth of the hard
// set's CPU time).
const mrcFineDPI = 250

// samples returns the page's luminance, at CompactDPI at most, with its
// size and resolution, the factor its masks are to be enlarged by (2
// under mrcFineDPI, else 1), and for a colour page its colour.
func (p *Page) samples(colourPage bool) (lum []byte, c *colour, w, h int, dpi float64, up int, err error) {
	w, h, dpi, up = p.Gray.Rect.Dx(), p.Gray.Rect.Dy(), p.DPI, 1
	if p.DPI < mrcFineDPI {
		up = 2
	}
	switch {
	case p.DPI <= CompactDPI*1.02 && p.Gray.Stride == w:
		lum = p.Gray.Pix[:w*h] // read only: the split writes layers of its own
	case p.DPI <= CompactDPI*1.02:
		lum = make([]byte, w*h)
		for y := range h {
			copy(lum[y*w:(y+1)*w], p.Gray.Pix[y*p.Gray.Stride:])
		}
	default:
		pix := grayPix(p.Gray)
		if pix != nil {
			pix = C.pix_shrink(pix, C.float(CompactDPI/p.DPI))
		}
		if pix == nil {
			return nil, nil, 0, 0, 0, 0, fmt.Errorf("compact page %d: no memory for %dx%d px", p.Number, w, h)
		}
		ow := int(C.pixGetWidth(pix))
		dpi *= float64(ow) / float64(w)
		w, h = ow, int(C.pixGetHeight(pix))
		lum = make([]byte, w*h)
		C.pix_samples(pix, (*C.l_uint8)(unsafe.Pointer(&lum[0])))
		C.pixDestroy(&pix)
	}
	if !colourPage {
		return lum, nil, w, h, dpi, up, nil
	}
	if len(p.rgb) == 3*p.Gray.Rect.Dx()*p.Gray.Rect.Dy() {
		return lum, &colour{w: p.Gray.Rect.Dx(), h: p.Gray.Rect.Dy(), rgb: p.rgb}, w, h, dpi, up, nil
	}
	var pix *C.PIX
	if e := p.Embed; e.Filter == "DCTDecode" {
		reduce := 1
		for reduce < 8 && p.DPI/float64(2*reduce) >= 2*mrcPaperDPI {
			reduce *= 2
		}
		pix = C.pix_read_jpeg((*C.l_uint8)(unsafe.Pointer(&e.Data[0])), C.size_t(len(e.Data)), C.int(reduce))
	} else {
		pix, err = embeddedPix(e)
	}
	if err == nil && (pix == nil || C.pixGetDepth(pix) != 32) {
		err = fmt.Errorf("leptonica decoded no colour image")
	}
	if err != nil {
		C.pixDestroy(&pix)
		return nil, nil, 0, 0, 0, 0, fmt.Errorf("compact page %d: %w", p.Number, err)
	}
	defer C.pixDestroy(&pix)
	c = &colour{w: int(C.pixGetWidth(pix)), h: int(C.pixGetHeight(pix))}
	c.rgb = make([]byte, 3*c.w*c.h)
	C.pix_samples(pix, (*C.l_uint8)(unsafe.Pointer(&c.rgb[0])))
	return lum, c, w, h, dpi, up, nil
}

// split thresholds the page against its paper (with vivid colour as ink):
// the light is evened out first (raster.MeasureBackground, the paper's
// brightness around each millimetre), so that a dim corner's paper is not
// ink, and the threshold is Otsu's on the evened page. Pixels well above
// the threshold are paper; those in between, the letters' soft edges, go
// into neither layer's colour, so that the paper has no shadow of the
// print. The paper's colour and the share of mid-tones are taken from one
// pixel in four, which is plenty for cells of 4 x 4 pixels and more.
func split(lum []byte, c *colour, w, h int, dpi float64) *layers {
	gray := &image.Gray{Pix: lum, Stride: w, Rect: image.Rect(0, 0, w, h)}
	bg := raster.MeasureBackground(gray, dpi, nil)
	gain := make([]uint32, len(bg.Level)) // 8.8 fixed point
	for i, v := range bg.Level {
		gain[i] = uint32(255 * 256 / max(v, 16))
	}
	// The page evened out first, block run by block run (a block's gain is
	// one number); the histogram, the paper's samples and the mid-tones
	// read it rather than work it out again.
	stride := maskStride(w)
	l := &layers{w: w, h: h, even: make([]byte, w*h), vivid: make([]byte, stride*h)}
	var hist [256]int
	for y := range h {
		g := gain[min(y/bg.Block, bg.H-1)*bg.W:][:bg.W]
		row, evened := lum[y*w:(y+1)*w], l.even[y*w:(y+1)*w]
		for bx, k := range g {
			x1 := min(w, (bx+1)*bg.Block)
			for x := bx * bg.Block; x < x1; x++ {
				evened[x] = uint8(min(255, (uint32(row[x])*k+128)>>8))
			}
		}
		if y&1 == 0 {
			for x := 0; x < w; x += 2 {
				hist[evened[x]]++
			}
		}
	}
	level, contrast, _ := raster.Contrast(&hist)
	if contrast == 0 {
		level = 127 // one tone: no split
	}
	ink := uint32(level)
	if contrast < raster.MinInkContrast {
		// No ink: Otsu's split of paper and its noise, or of a
		// photograph's tones, is no letter's edge.
		ink = 0
	}

	// Paper is sampled where it is clean: away from the letters' soft
	// edges, which would darken it around the print.
	// Mid-tones are measured from Otsu's level whatever the ink: on a
	// photograph they are what tells it from paper.
	midBottom, midTop, clean := uint32(level), (uint32(level)+255)/2, 255-(255-ink)/4
	comps := 1
	var cx []int // colour column of each pixel column
	if c != nil {
		comps = 3
		cx = make([]int, w)
		for x := range cx {
			cx[x] = 3 * min(x*c.w/w, c.w-1)
		}
	}
	cell := max(1, int(math.Round(dpi/mrcPaperDPI)))
	pg, lg := newCells(w, h, cell, comps), newCells(w, h, cell, comps)
	var vg *cells // vivid ink is a colour page's
	if c != nil {
		vg = newCells(w, h, cell, comps)
	}
	darkN := make([]uint32, len(lg.n))
	// The print's colour: the mean of its strokes' cores, darker than
	// their edges, else of all of it.
	core, all := newCells(1, 1, 1, comps), newCells(1, 1, 1, comps)
	cellX := make([]int, w)
	for x := range cellX {
		cellX[x] = x / cell
	}
	mid, vivids := 0, 0
	for y := range h {
		row, evened, vividRow := lum[y*w:(y+1)*w], l.even[y*w:(y+1)*w], l.vivid[y*stride:(y+1)*stride]
		cellRow := (y / cell) * pg.w
		var crow []byte
		if c != nil {
			crow = c.rgb[3*min(y*c.h/h, c.h-1)*c.w:]
		}
		// One pixel in four: the paper's colour, and the mid-tones (before
		// vivid ink is made paper below).
		if y&1 == 0 {
			for x := 0; x < w; x += 2 {
				f := uint32(evened[x])
				switch {
				case f >= midTop:
					if f < clean {
						break
					}
					if c != nil {
						pg.add(cellRow+cellX[x], row[x], crow, cx, x)
					} else {
						pg.addGrey(cellRow+cellX[x], row[x]) // inlined: add is not
					}
				case f > midBottom && f > ink && (c == nil || !vivid(crow[cx[x]:cx[x]+3])):
					mid++
				}
			}
		}
		// Every pixel under midTop: taken as vivid ink or print. Paper,
		// most of the page, is passed over.
		for x := raster.NextUnder(evened, 0, midTop); x < w; x = raster.NextUnder(evened, x+1, midTop) {
			f := uint32(evened[x])
			switch {
			case c != nil && vivid(crow[cx[x]:cx[x]+3]):
				vividRow[x>>3] |= 0x80 >> (x & 7)
				evened[x] = 255
				vg.add(cellRow+cellX[x], row[x], crow, cx, x)
				vivids++
			case f <= ink:
				v := row[x]
				if f <= ink/2 {
					core.add(0, v, crow, cx, x)
					darkN[cellRow+cellX[x]]++
				} else {
					lg.add(cellRow+cellX[x], v, crow, cx, x)
				}
				all.add(0, v, crow, cx, x)
			}
		}
	}
	sampled := ((h + 1) / 2) * ((w + 1) / 2)
	l.ink = uint8(ink)
	l.mid = float64(mid) / float64(max(1, sampled))
	l.paper = pg.image(255, true)
	if core.n[0] == 0 {
		core = all
	}
	l.printColour = core.image(0, false)
	if vivids > 0 {
		l.vividColour = vg.image(0, false)
	}
	if ink > 0 {
		l.lightInk(lg, darkN, cell, uint8(ink/2), uint8(ink))
	}
	return l
}

// lightInk moves the print of light ink, where there is some, to a layer
// of its own. Print is mostly one ink, painted in one colour, but not all
// of it: a seal in grey, a faint stamp, pencil are lighter than the type,
// and painted as dark as it they run into the letters they cross (a grey
// seal's star over "PHÓ CHỦ TỊCH" lost OCR of the compact copy that line).
// Light ink is print between half the threshold and the threshold
// (evened); lg counted it in each cell, with its colour, and darkN the
// darker print. Type's soft edges are that light too, but lie beside its
// strokes' cores: a cell is of light ink when it holds no darker print
// and a quarter of it is light ink further than r (2 pixels: a scan's
// blur) from any, and so is a cell a quarter covered with light ink up to
// lightRings cells from such a cell (a seal's ink between the letters it
// crosses). Every light pixel of those cells moves.
// lightRings is how far, in cells (a third of a millimetre), light ink is
// followed from where it lies clear of print.
const lightRings = 1

func (l *layers) lightInk(lg *cells, darkN []uint32, cell int, dark, ink uint8) {
	area := cell * cell
	need := (area + 3) / 4
	const r = 2
	// far reports whether the light pixel at x, y has no darker print
	// within r.
	far := func(x, y int) bool {
		for ny := max(0, y-r); ny <= min(l.h-1, y+r); ny++ {
			row := l.even[ny*l.w : (ny+1)*l.w]
			for nx := max(0, x-r); nx <= min(l.w-1, x+r); nx++ {
				if row[nx] <= dark {
					return false
				}
			}
		}
		return true
	}
	region := make([]bool, len(lg.n))
	var seeds []int
	for k, n := range lg.n {
		if int(n) < need || darkN[k] > 0 {
			continue
		}
		cx, cy := (k%lg.w)*cell, (k/lg.w)*cell
		found, left := 0, int(n)
	cell:
		for y := cy; y < min(cy+cell, l.h); y++ {
			row := l.even[y*l.w : (y+1)*l.w]
			for x := cx; x < min(cx+cell, l.w); x++ {
				if f := row[x]; f <= dark || f > ink {
					continue
				}
				if far(x, y) {
					found++
				}
				if left--; found >= need || found+left < need {
					break cell
				}
			}
		}
		if found >= need {
			region[k] = true
			seeds = append(seeds, k)
		}
	}
	if len(seeds) == 0 {
		return
	}
	for range lightRings {
		var ring []int
		for _, k := range seeds {
			x, y := k%lg.w, k/lg.w
			for ny := max(0, y-1); ny <= min(lg.h-1, y+1); ny++ {
				for nx := max(0, x-1); nx <= min(lg.w-1, x+1); nx++ {
					if n := ny*lg.w + nx; !region[n] && int(lg.n[n]) >= need {
						region[n] = true
						ring = append(ring, n)
					}
				}
			}
		}
		seeds = ring
	}
	stride := maskStride(l.w)
	l.light = make([]byte, stride*l.h)
	for k, in := range region {
		if !in {
			lg.n[k] = 0 // not this layer's colour
			continue
		}
		cx, cy := (k%lg.w)*cell, (k/lg.w)*cell
		for y := cy; y < min(cy+cell, l.h); y++ {
			row := l.even[y*l.w : (y+1)*l.w]
			for x := cx; x < min(cx+cell, l.w); x++ {
				if f := row[x]; f > dark && f <= ink {
					l.light[y*stride+x>>3] |= 0x80 >> (x & 7)
					row[x] = 255 // no longer print
				}
			}
		}
	}
	l.lightColour = lg.image(0, false)
}

// vividInk is the spread between an RGB pixel's largest and smallest
// component from which it is coloured ink, whatever its lightness: a
// seal's thin red letters blur to pink in a scan, lighter than the
// threshold print is cut at, and would otherwise be left to the
// low-resolution paper.
const vividInk = 64

func vivid(c []byte) bool {
	return int(max(c[0], c[1], c[2]))-int(min(c[0], c[1], c[2])) >= vividInk
}

// cells accumulates a layer's colour over square cells of pixels.
type cells struct {
	w, h, size, comps int
	sum               []uint32 // comps per cell
	n                 []uint32
}

func newCells(w, h, size, comps int) *cells {
	cw, ch := (w+size-1)/size, (h+size-1)/size
	return &cells{w: cw, h: ch, size: size, comps: comps, sum: make([]uint32, cw*ch*comps), n: make([]uint32, cw*ch)}
}

// add counts a pixel into cell k: its luminance v, or its colour from
// the colour row crow at cx[x]. The colour grid may be coarser than the
// pixels', and its colour at a letter's edge partly the letter's: the
// pixel's own luminance replaces the colour's (as a JPEG keeps luminance
// at full resolution and colour at half).
func (c *cells) add(k int, v byte, crow []byte, cx []int, x int) {
	if crow == nil {
		c.addGrey(k, v)
		return
	}
	c.n[k]++
	i := cx[x]
	r, g, b := int32(crow[i]), int32(crow[i+1]), int32(crow[i+2])
	d := int32(v) - (19595*r+38470*g+7471*b+32768)>>16
	c.sum[3*k] += uint32(min(255, max(0, r+d)))
	c.sum[3*k+1] += uint32(min(255, max(0, g+d)))
	c.sum[3*k+2] += uint32(min(255, max(0, b+d)))
}

// addGrey counts a grey pixel of luminance v into cell k.
func (c *cells) addGrey(k int, v byte) {
	c.n[k]++
	c.sum[k] += uint32(v)
}

// image returns the cells' mean colours. Cells with no pixels of the
// layer take the mean of their neighbours' (spread, when spread is set,
// cell by cell from the cells around: the paper under a bold title is the
// paper beside it), else the layer's mean colour, else none.
func (c *cells) image(none uint8, spread bool) image.Image {
	n, comps := len(c.n), c.comps
	// The image's own pixels: a byte a cell, or RGBA for colour.
	ps := comps
	if comps == 3 {
		ps = 4
	}
	pix := make([]uint8, n*ps)
	var total [3]uint64
	var count uint64
	for k, m := range c.n {
		if m == 0 {
			continue
		}
		count += uint64(m)
		for j := range comps {
			s := c.sum[comps*k+j]
			total[j] += uint64(s)
			pix[ps*k+j] = roundDiv(s, m)
		}
	}
	var mean [3]uint8
	for j := range comps {
		mean[j] = none
		if count > 0 {
			mean[j] = uint8(total[j] / count)
		}
	}
	// Which cells hold a colour: non-zero in known. Without spreading
	// those are the cells with pixels, c.n itself; spread returns its
	// own. (A list of the empty cells instead would cost a colour page's
	// compaction a tenth more: most cells of an ink layer are empty.)
	known := c.n
	if spread {
		known = c.spread(pix, ps)
	}
	r := image.Rect(0, 0, c.w, c.h)
	if comps == 1 {
		for k, m := range known {
			if m == 0 {
				pix[k] = mean[0]
			}
		}
		return &image.Gray{Pix: pix, Stride: c.w, Rect: r}
	}
	for k, m := range known {
		p := pix[4*k : 4*k+4]
		if m == 0 {
			p[0], p[1], p[2] = mean[0], mean[1], mean[2]
		}
		p[3] = 255
	}
	return &image.RGBA{Pix: pix, Stride: 4 * c.w, Rect: r}
}

// spread gives the cells with no pixels of the layer, in pix (ps bytes a
// cell), the mean of their neighbours', ring by ring inwards from the
// cells that have some; a cell takes the mean of the neighbours known
// before its ring, so the result does not depend on order. It returns
// which cells are known after (non-zero), at most 32 rings in.
func (c *cells) spread(pix []uint8, ps int) []uint32 {
	known := make([]uint32, len(c.n))
	var unknown []int32
	for k, m := range c.n {
		if m == 0 {
			unknown = append(unknown, int32(k))
		} else {
			known[k] = 1
		}
	}
	var ring []int32
	for pass := 0; pass < 32 && len(unknown) > 0; pass++ {
		ring = ring[:0]
		rest := unknown[:0] // filtered in place
		for _, k32 := range unknown {
			k := int(k32)
			y := k / c.w
			x := k - y*c.w
			var s [3]uint32
			m := uint32(0)
			add := func(nk int) {
				if known[nk] == 0 {
					return
				}
				for j := range c.comps {
					s[j] += uint32(pix[ps*nk+j])
				}
				m++
			}
			if x > 0 {
				add(k - 1)
			}
			if x < c.w-1 {
				add(k + 1)
			}
			if y > 0 {
				add(k - c.w)
			}
			if y < c.h-1 {
				add(k + c.w)
			}
			if m == 0 {
				rest = append(rest, k32)
				continue
			}
			for j := range c.comps {
				pix[ps*k+j] = uint8(s[j] / m)
			}
			ring = append(ring, k32)
		}
		for _, k := range ring {
			known[k] = 1
		}
		unknown = rest
	}
	return known
}

// roundDiv is s/m rounded to nearest, for a cell's mean: by a reciprocal
// for the few pixels a cell holds (exact for s < 2³²/m, which a cell's
// sum of at most 64 bytes is), else by division.
func roundDiv(s, m uint32) uint8 {
	if m < uint32(len(reciprocal)) && s < 1<<24 {
		return uint8(uint64(s+m/2) * reciprocal[m] >> 32)
	}
	return uint8((s + m/2) / m)
}

// reciprocal[m] is ⌈2³²/m⌉.
var reciprocal = func() (r [65]uint64) {
	for m := 1; m < len(r); m++ {
		r[m] = (1<<32 + uint64(m) - 1) / uint64(m)
	}
	return r
}()

// encodeMask codes a 1-bit mask (bits_pix, mask_2x; nil: no memory) as
// G4, whose black (decoded as 0 without /BlackIs1) is the ink the stencil
// paints. It takes pix.
func encodeMask(pix *C.PIX) (pdf.Image, error) {
	if pix == nil {
		return pdf.Image{}, errors.New("make ink mask: no memory")
	}
	w, h := int(C.pixGetWidth(pix)), int(C.pixGetHeight(pix))
	var (
		out        *C.l_uint8
		n          C.size_t
		minisblack C.int
	)
	if rc := C.g4_of(pix, &out, &n, &minisblack); rc != 0 {
		C.free(unsafe.Pointer(out))
		return pdf.Image{}, fmt.Errorf("encode ink mask %dx%d as G4: leptonica failed (%d)", w, h, int(rc))
	}
	data := C.GoBytes(unsafe.Pointer(out), C.int(n))
	C.free(unsafe.Pointer(out))
	if minisblack != 0 {
		return pdf.Image{}, fmt.Errorf("encode ink mask %dx%d as G4: leptonica coded ink as 1", w, h)
	}
	return pdf.Image{Width: w, Height: h, BitsPerComponent: 1, ColorSpace: "DeviceGray",
		Filter: "CCITTFaxDecode", DecodeParms: fmt.Sprintf("<< /K -1 /Columns %d /Rows %d >>", w, h), Data: data}, nil
}

// encodeJPEG codes a layer (an *image.Gray or *image.RGBA with packed
// rows) with libjpeg, through Leptonica: several times faster than
// image/jpeg.
func encodeJPEG(img image.Image) (pdf.Image, error) {
	var (
		px   []byte
		rgba C.int
	)
	switch m := img.(type) {
	case *image.Gray:
		px = m.Pix
	case *image.RGBA:
		px, rgba = m.Pix, 1
	}
	size := img.Bounds().Size()
	var (
		out *C.l_uint8
		n   C.size_t
	)
	if rc := C.jpeg_layer((*C.l_uint8)(unsafe.Pointer(&px[0])), C.int(size.X), C.int(size.Y), rgba, mrcQuality, &out, &n); rc != 0 {
		C.free(unsafe.Pointer(out))
		return pdf.Image{}, fmt.Errorf("encode layer %v as JPEG: leptonica failed (%d)", size, int(rc))
	}
	data := C.GoBytes(unsafe.Pointer(out), C.int(n))
	C.free(unsafe.Pointer(out))
	return pdf.JPEGImage(data)
}
