// Package raster holds the pixel work of the pipeline's stages: a small
// analysis image, detection of the page's quarter-turn orientation and
// skew from its ink, and one resampling pass that applies both to the
// full-resolution page; the page's resolution and sharpness measured on
// it; and the cleanup of the raster OCR reads (colour dropout, borders,
// light, bleed-through, specks, form leaders).
//
// All coordinates are continuous pixel coordinates with the origin at the
// top-left corner and y growing down; pixel (i, j) covers [i, i+1)×[j, j+1).
package raster

import "math"

// Affine maps (x, y) to (A·x + C·y + E, B·x + D·y + F), in the order
// [A B C D E F] that PDF's cm operator uses, so a transform computed here can
// be written into a content stream as it is.
type Affine [6]float64

// Identity maps every point to itself.
var Identity = Affine{1, 0, 0, 1, 0, 0}

// Apply maps one point.
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// Then returns the transform that applies m first and n after it.
func (m Affine) Then(n Affine) Affine {
	return Affine{
		m[0]*n[0] + m[1]*n[2],
		m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2],
		m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4],
		m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// Invert returns the inverse transform. Every transform built here is a
// rotation, mirror, scale or translation, so it is never singular.
func (m Affine) Invert() Affine {
	det := m[0]*m[3] - m[1]*m[2]
	a, b, c, d := m[3]/det, -m[1]/det, -m[2]/det, m[0]/det
	return Affine{a, b, c, d, -(a*m[4] + c*m[5]), -(b*m[4] + d*m[5])}
}

// Translate moves by (dx, dy).
func Translate(dx, dy float64) Affine { return Affine{1, 0, 0, 1, dx, dy} }

// Scale scales by (sx, sy) about the origin.
func Scale(sx, sy float64) Affine { return Affine{sx, 0, 0, sy, 0, 0} }

// RotateAbout rotates by deg degrees counter-clockwise as seen on screen
// (y grows down) about (cx, cy).
func RotateAbout(deg, cx, cy float64) Affine {
	s, c := math.Sincos(deg * math.Pi / 180)
	// Counter-clockwise on screen with y down: a point right of the centre
	// moves up, so y' = cy - dx·sin + dy·cos.
	r := Affine{c, -s, s, c, 0, 0}
	return Translate(-cx, -cy).Then(r).Then(Translate(cx, cy))
}

// QuarterTurn returns the transform that turns a w×h image clockwise by
// turns×90° into its new frame, and that frame's size.
func QuarterTurn(turns, w, h int) (Affine, int, int) {
	switch ((turns % 4) + 4) % 4 {
	case 1: // top-left corner goes to top-right
		return Affine{0, 1, -1, 0, float64(h), 0}, h, w
	case 2:
		return Affine{-1, 0, 0, -1, float64(w), float64(h)}, w, h
	case 3:
		return Affine{0, -1, 1, 0, 0, float64(w)}, h, w
	}
	return Identity, w, h
}

// EXIF returns the transform from a w×h image's stored pixels to its display
// frame for an EXIF orientation value (1-8), and the display size. Values
// outside 1-8 mean no transform, as in viewers.
func EXIF(orientation, w, h int) (Affine, int, int) {
	fw, fh := float64(w), float64(h)
	switch orientation {
	case 2: // mirrored left-right
		return Affine{-1, 0, 0, 1, fw, 0}, w, h
	case 3:
		return QuarterTurn(2, w, h)
	case 4: // mirrored top-bottom
		return Affine{1, 0, 0, -1, 0, fh}, w, h
	case 5: // transposed
		return Affine{0, 1, 1, 0, 0, 0}, h, w
	case 6:
		return QuarterTurn(1, w, h)
	case 7: // transversed
		return Affine{0, -1, -1, 0, fh, fw}, h, w
	case 8:
		return QuarterTurn(3, w, h)
	}
	return Identity, w, h
}
