package raster

import (
	"image"
)

// Bleed-through. Thin paper printed on both sides shows the back's type
// through it, mirrored: grey print between the lines. Faint show-through
// is no matter (Tesseract's threshold sits between paper and print, far
// below it), but where it is dark, as on cheap paper or a page lit from
// behind, the threshold falls between paper and both sides' print and the
// back is read as text. The back's print is grey, and lies away from the
// front's: grey pixels next to black ones are the soft edges of print,
// grey pixels with no black near them are the back. Where there are many
// of those, pixels as light as most of them become paper.

// Bleed measures the back's print showing through g: the share of g's
// grey pixels (between print and paper) that lie away from any black one,
// against the black ones, and the level under which nearly all of them
// are lighter. It reads every fourth row.
func Bleed(g *image.Gray) (share float64, level uint8) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var hist [256]int
	for y := 0; y < h; y += 4 {
		for _, v := range g.Pix[y*g.Stride:][:w] {
			hist[v]++
		}
	}
	t, _, paperMean := Otsu(&hist)
	black := int(blackLevel(&hist, t))
	paper := int(paperMean)
	span := paper - black
	if span < MinInkContrast {
		return 0, 0
	}
	core := uint8(black + span*3/10)
	greyLo, greyHi := uint8(black+span*4/10), uint8(paper-span*15/100)
	const r = 2 // pixels around a grey one that may hold its black
	var cores, lone int
	var loneHist [256]int
	for y := r; y < h-r; y += 4 {
		row := g.Pix[y*g.Stride:][:w]
		for x := r; x < w-r; x++ {
			v := row[x]
			if v <= core {
				cores++
				continue
			}
			if v < greyLo || v > greyHi {
				continue
			}
			near := false
			for dy := -r; dy <= r && !near; dy++ {
				for _, u := range g.Pix[(y+dy)*g.Stride+x-r:][:2*r+1] {
					if u <= core {
						near = true
						break
					}
				}
			}
			if !near {
				lone++
				loneHist[v]++
			}
		}
	}
	if cores == 0 {
		return 0, 0
	}
	// The level under which a tenth of the lone grey pixels lie, less a
	// margin: the back's print starts there. Never under halfway from
	// print to paper, which the front's strokes pass through.
	n := 0
	for v := range loneHist {
		if n += loneHist[v]; 10*n >= lone {
			level = uint8(max(black+span/2, v-span/20))
			break
		}
	}
	return float64(lone) / float64(cores), level
}

// SuppressBleed makes paper, in place, of every pixel of g lighter than
// level, ramping over the levels just above it so that the edges of the
// front's print stay smooth.
func SuppressBleed(g *image.Gray, level uint8) {
	var lut [256]uint8
	const ramp = 12
	for v := range lut {
		switch d := v - int(level); {
		case d <= 0:
			lut[v] = uint8(v)
		case d >= ramp:
			lut[v] = 255
		default:
			lut[v] = uint8(v + (255-v)*d/ramp)
		}
	}
	w := g.Rect.Dx()
	for y := 0; y < g.Rect.Dy(); y++ {
		row := g.Pix[y*g.Stride:][:w]
		for x, v := range row {
			row[x] = lut[v]
		}
	}
}
