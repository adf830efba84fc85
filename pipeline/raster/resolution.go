package raster

import (
	"image"
	"math"
	"slices"
)

// Resolution from the page. Photos and screenshots of a page, and some
// scanner exports, record no resolution, or one that cannot be (72 dpi
// on a phone photo of 3000 × 4000 pixels makes a sheet a metre tall).
// Without it OCR is told the wrong letter size and the pipeline rescales
// to the wrong size: a 70-dpi capture taken for 300 dpi was shrunk to
// unreadable letters. The page itself tells its resolution: official
// documents are set in 13-14 pt Times New Roman-like serifs, so the
// height of the lowercase band of the body text gives the dots per inch,
// and a page whose shape is that of a sheet of paper gives it exactly.

// BodyXHeight is the x-height of body text, in inches, that text-size
// estimates assume. Measured on 13-14 pt body text: Times New Roman on
// real 200-dpi government scans 0.081-0.092 in, the DejaVu Serif of the
// generated test pages 0.095-0.101 in; smaller type (tables, lists of
// recipients) runs to 0.071 in. Between the two faces, either is read
// within 12 %.
const BodyXHeight = 0.092

// TextSize is what a page's lines of text measure, in pixels of the page.
type TextSize struct {
	// XHeight is the median height of the lines' lowercase band: the rows
	// across a line that carry at least half its peak ink.
	XHeight float64
	// Pitch is the median distance between neighbouring lines' bands.
	Pitch float64
	// Lines is the number of lines measured.
	Lines int
}

// minTextLines is the fewest lines a size is trusted from: one heading or
// a row of a table says little about the body text.
const minTextLines = 4

// MeasureText finds the lines of text on g, whatever its resolution,
// quarter turn or tilt, and measures them. ok is false when it finds too
// few lines, or lines whose spacing is not that of text.
func MeasureText(g *image.Gray) (TextSize, bool) {
	b := g.Bounds()
	long := max(b.Dx(), b.Dy())
	// Measure on at most 1800 pixels down the long side (A4 at 150 dpi):
	// the x-height of 13-pt text is still over eight of them, the work is
	// that of the orient stage, and finer pixels only show the letters'
	// own steps (serifs, thick and thin) that the line's edges are
	// mistaken for.
	f := max(1, int(math.Ceil(float64(long)/1800)))
	work, _ := Thumbnail(g, float64(f)*AnalysisDPI)
	// The letter filter needs a resolution: take the page for A4's long
	// side. Only specks and marks are told from letters by it.
	ink := FindInk(work, float64(max(work.Rect.Dx(), work.Rect.Dy()))/11.69)
	if len(ink.LX) == 0 {
		return TextSize{}, false
	}
	l := Measure(ink)
	x, y := ink.LX, ink.LY
	if l.Turns%2 == 1 { // lines run down the page: measure it turned
		tx := make([]int32, len(x))
		for i := range x {
			tx[i] = int32(ink.H) - y[i]
		}
		x, y = tx, x
	}
	s, ok := lineSizes(profile(x, y, nil, l.Skew))
	s.XHeight *= float64(f)
	s.Pitch *= float64(f)
	return s, ok
}

// lineSizes measures the text lines in a profile taken across them.
func lineSizes(bins []int32) (TextSize, bool) {
	ref := percentile(bins, 0.95)
	thr := max(2, ref/20)
	var cores, centres []float64
	for i := 0; i < len(bins); {
		if bins[i] < thr {
			i++
			continue
		}
		j := i
		for j < len(bins) && bins[j] >= thr {
			j++
		}
		if c, mid, ok := coreBand(bins, i, j); ok {
			cores = append(cores, c)
			centres = append(centres, mid)
		}
		i = j
	}
	if len(cores) < minTextLines {
		return TextSize{}, false
	}
	var gaps []float64
	for k := 1; k < len(centres); k++ {
		gaps = append(gaps, centres[k]-centres[k-1])
	}
	s := TextSize{XHeight: median(cores), Pitch: median(gaps), Lines: len(cores)}
	// Lines of text stand between 1.8 (tight single spacing) and 4.5 (one
	// and a half lines with room) x-heights apart; the rows of ruled tables
	// and the rules themselves do not.
	r := s.Pitch / s.XHeight
	return s, s.XHeight >= 3 && r >= 1.8 && r <= 4.5
}

// coreBand measures the line in bins[from:to]: its lowercase band runs
// from the sharpest rise of ink above the line's peak (the x-line, where
// every letter starts) to the sharpest fall below it (the baseline, where
// all but descenders end). Edges found by slope stay where they are when
// the capture blurs them, which a level (half the peak, say) does not. It
// returns the band's height and centre, in bins, interpolated between them.
func coreBand(bins []int32, from, to int) (height, centre float64, ok bool) {
	if to-from < 4 {
		return 0, 0, false
	}
	peak := from
	for i := from; i < to; i++ {
		if bins[i] > bins[peak] {
			peak = i
		}
	}
	// d(k) = bins[k] - bins[k-1] is the slope at k - 0.5.
	d := func(k int) float64 {
		if k <= 0 || k >= len(bins) {
			return 0
		}
		return float64(bins[k] - bins[k-1])
	}
	rise, fall := from, peak+1
	for k := from; k <= peak; k++ {
		if d(k) > d(rise) {
			rise = k
		}
	}
	for k := peak + 1; k <= to; k++ {
		if d(k) < d(fall) {
			fall = k
		}
	}
	if d(rise) <= 0 || d(fall) >= 0 || fall-rise < 2 {
		return 0, 0, false
	}
	// The vertex of the parabola through the extreme slope and its
	// neighbours.
	vertex := func(k int) float64 {
		l, c, r := d(k-1), d(k), d(k+1)
		if den := l - 2*c + r; den != 0 {
			return float64(k) - 0.5 + 0.5*(l-r)/den
		}
		return float64(k) - 0.5
	}
	top, bot := vertex(rise), vertex(fall)
	return bot - top, (top + bot) / 2, true
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// Paper is a sheet size, in inches, short side first, and how much less
// likely a desk's page is on it than on A4, as a cost added to the log of
// the text's disagreement with it.
type Paper struct {
	Name  string
	W, H  float64
	Prior float64
}

// Papers are the sheets a desk's scans come on.
var Papers = []Paper{
	{"A4", 8.27, 11.69, 0},
	{"letter", 8.5, 11, 0.05},
	{"A5", 5.83, 8.27, 0.1},
	{"A3", 11.69, 16.54, 0.15},
	{"legal", 8.5, 14, 0.15},
}

// ScannerDPI are the resolutions scanners offer; a sheet's size within 3 %
// of one (the scanner's bed is a little larger than A4) is taken to be it.
var ScannerDPI = []float64{100, 150, 200, 300, 400, 600}

// DPIEstimate is a page's resolution as measured on the page.
type DPIEstimate struct {
	// DPI is the estimate: the size of the sheet the page's shape matches
	// and its text agrees with (taken for a scanner setting it is within 3
	// % of), else the text's.
	DPI float64
	// FromText is what the body text's x-height alone gives (0: too
	// little text).
	FromText float64
	// Paper names the sheet the page's shape matched, if it decided.
	Paper string
	Text  TextSize
}

// EstimateDPI measures the resolution of a page from its text and from
// its shape. A scan of a whole sheet has the sheet's shape, and its pixels
// then give the resolution to a percent; the text tells which sheet of
// that shape (A5, A4 and A3 differ by 41 % in size). A page of another
// shape (a crop) has the text's word alone. sheet is the part of g the
// paper covers (inside a border FindBorder found: a screenshot's bars, the
// glass around a sheet), empty for all of g. ok is false when neither
// tells.
func EstimateDPI(g *image.Gray, sheet image.Rectangle) (DPIEstimate, bool) {
	var e DPIEstimate
	s, ok := MeasureText(g)
	if ok {
		e.Text, e.FromText = s, s.XHeight/BodyXHeight
	}
	if sheet.Empty() {
		sheet = g.Rect
	}
	w, h := float64(sheet.Dx()), float64(sheet.Dy())
	if w > h {
		w, h = h, w
	}
	best := math.Inf(1)
	for _, p := range Papers {
		if math.Abs((w/h)/(p.W/p.H)-1) > 0.015 {
			continue
		}
		d := math.Sqrt(w * h / (p.W * p.H))
		cost := p.Prior
		if e.FromText > 0 {
			// Type smaller than body text (tables, lists) is common, larger
			// rare: the text may say less than the sheet more easily than
			// more.
			r := math.Log(e.FromText / d)
			if r < math.Log(0.7) || r > math.Log(1.3) {
				continue
			}
			cost += max(r, -0.6*r)
		}
		if cost < best {
			best, e.DPI, e.Paper = cost, d, p.Name
		}
	}
	switch {
	case e.Paper != "":
		e.DPI = nearScanner(e.DPI, 0.03)
	case e.FromText > 0:
		e.DPI = e.FromText
	default:
		return e, false
	}
	return e, true
}

// nearScanner returns the scanner setting within tol (relative) of dpi,
// or dpi.
func nearScanner(dpi, tol float64) float64 {
	for _, d := range ScannerDPI {
		if math.Abs(dpi/d-1) <= tol {
			return d
		}
	}
	return dpi
}
