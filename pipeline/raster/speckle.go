package raster

import (
	"image"
	"math"
)

// Speckle. Dust on the glass, toner crumbs and a worn sensor sprinkle a
// page with dark specks of a pixel or two. Each is a mark to Tesseract: it
// reads them as dots and commas, takes them for tone marks over the
// letters near them, and on a page sprinkled all over its layout analysis
// breaks lines into fragments (the generated speckle class: CER 0.27,
// 0.12 despeckled).
//
// A speck is a blob smaller than anything print makes: Vietnamese needs its
// dots (the dot below of ạ, ệ, ộ, the dot of i, full stops), which at
// 13 pt are 0.35-0.45 mm across, about 0.12 mm² of ink; specks of one or
// two pixels at 200 dpi are at most 0.065 mm². Clean pages have a few
// such blobs too (a broken hairline, JPEG noise), and they are left alone:
// specks are erased only from a page that has many of them.

const (
	// maxSpeckArea bounds a speck's ink, in square millimetres, and
	// maxSpeckSide its box.
	maxSpeckArea = 0.08
	maxSpeckSide = 0.3
	// speckledDensity is how many specks per square centimetre make a page
	// speckled (leader dots not counted). No clean fixture reaches it; the
	// generated speckle pages (specks on 0.26-0.47 % of the pixels) show
	// about 16, noisy JPEGs 1.5-4, and those read better despeckled too
	// (the generated noise class: CER 0.054 to 0.031).
	speckledDensity = 1.0
	// On a speckled page, a dot up to maxLoneDotArea (mm²) and
	// maxLoneDotSide (mm) across with no letter within loneDotReach (mm;
	// a third of 13-pt type) is dust as well.
	maxLoneDotArea = 0.3
	maxLoneDotSide = 0.8
	loneDotReach   = 1.5
)

// Cleaned is what CleanForOCR erased.
type Cleaned struct {
	LeaderDots int
	// Specks is the number of specks erased, 0 when the page was not
	// speckled (or despeckling was not asked for).
	Specks int
}

// CleanForOCR erases from an upright page raster g at dpi, in place, what
// misleads OCR but carries no text: the dotted leaders of forms
// (RemoveLeaders) and, with despeckle and on a speckled page, specks. Both
// work from one labelling of the ink (pixels at or below threshold).
func CleanForOCR(g *image.Gray, dpi float64, threshold uint8, despeckle bool) Cleaned {
	_, blobs, _ := components(g, threshold)
	leaders := removeLeaders(g, dpi, blobs)
	c := Cleaned{LeaderDots: len(leaders)}
	if despeckle {
		// The leaders' dots are small blobs too, by the thousand on a
		// form; they are gone already and do not make a page speckled.
		gone := make(map[[2]int32]bool, len(leaders))
		for _, d := range leaders {
			gone[[2]int32{d.x0, d.y0}] = true
		}
		c.Specks = removeSpecks(g, dpi, blobs, gone)
		if c.Specks > 0 {
			// Dust among a leader's dots breaks its even pitch, and the
			// leader stays; without the dust it shows.
			_, blobs, _ = components(g, threshold)
			c.LeaderDots += len(removeLeaders(g, dpi, blobs))
		}
	}
	return c
}

// removeSpecks erases the specks among g's blobs (but those at gone) if
// there are enough of them to call the page speckled, and returns how
// many.
func removeSpecks(g *image.Gray, dpi float64, blobs []blob, gone map[[2]int32]bool) int {
	mm := dpi / 25.4
	maxArea := int32(math.Max(1, maxSpeckArea*mm*mm))
	maxSide := int32(math.Max(1, math.Round(maxSpeckSide*mm)))
	var specks []blob
	for _, b := range blobs {
		if b.n <= maxArea && b.x1-b.x0 < maxSide && b.y1-b.y0 < maxSide && !gone[[2]int32{b.x0, b.y0}] {
			specks = append(specks, b)
		}
	}
	cm2 := float64(g.Rect.Dx()*g.Rect.Dy()) / (mm * mm * 100)
	if float64(len(specks)) < speckledDensity*cm2 {
		return 0
	}
	// On a speckled page the dust also leaves dots as big as print's.
	// Those away from any letter are dust too: a tone mark, the dot of an
	// i, a full stop or a colon stands within a fraction of a letter's
	// height of its letter.
	maxDotArea := int32(maxLoneDotArea * mm * mm)
	maxDotSide := int32(math.Round(maxLoneDotSide * mm))
	letters := newLetterIndex(blobs, int32(math.Round(maxLoneDotSide*mm)), dpi)
	reach := int32(math.Round(loneDotReach * mm))
	for _, b := range blobs {
		if b.n > maxArea && b.n <= maxDotArea && b.x1-b.x0 < maxDotSide && b.y1-b.y0 < maxDotSide &&
			!gone[[2]int32{b.x0, b.y0}] && !letters.near(b, reach) {
			specks = append(specks, b)
		}
	}
	for _, b := range specks {
		for y := b.y0; y <= b.y1; y++ {
			row := g.Pix[int(y)*g.Stride:]
			for x := b.x0; x <= b.x1; x++ {
				row[x] = 255
			}
		}
	}
	return len(specks)
}
