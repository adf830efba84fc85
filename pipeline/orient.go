package pipeline

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/raster"
)

// The orient stage decides which way up a page reads in up to three steps,
// each dearer and surer than the one before, and stops at the first that is
// sure:
//
//  1. geometry (raster.Measure): the text lines' direction and the balance
//     of ink above and below them. Free, exact about tilt, and right on
//     clean printed pages; but tables, borders, seals and show-through tip
//     the balance, so it is trusted only when every sign is clear, or
//     when the lines run one way, nothing dark lies at the edges and the
//     balance leans clearly (geometryLikely): the page's full reading
//     then checks it, as it checks every turn (reread).
//  2. Tesseract's orientation detector (OSD): classifies a few dozen
//     letters in all four turns. About 130 ms a page.
//  3. reading: a band of text lines, read with the page's own language
//     model in each candidate turn; Vietnamese read upside down or sideways
//     has low confidence and is not made of Vietnamese syllables.
//
// After the page's full reading the OCR stage may re-read it in the
// next-best turn (reread), when its confidence is low.

// How the turn was decided, as the manifest says it.
const (
	OrientGeometry = "geometry"
	OrientOSD      = "osd"
	OrientReading  = "reading"
	OrientReread   = "reread" // the page read whole in another turn read better
)

// Geometry alone decides when all of these hold. On 408 turned pages, real
// and drawn (see calibration), the 212 that met them as stored were all
// turned right; cleaned as the stage sees them, 264 met them, all right
// too. Clean printed pages meet them, so those pay nothing more.
const (
	sureUp    = 0.40 // Evidence.Up: ink balance about the lines
	sureAxis  = 0.60 // Evidence.Axis: lines one way, not both (tables fail)
	sureLines = 20   // enough lines for the balance to be a sum, not a few
	sureEdge  = 0.02 // no dark border in the margins
	sureSpeck = 0.15 // not mostly specks
)

// Geometry also decides, less surely, when the lines run one way and the
// margins are clear but the balance leans less, or specks or a short page
// blur it (geometryLikely). TestGeometryCalibration measures both tiers on
// the calibration pages as this stage sees them, cleaned by the normalize
// stage: of 408 turned pages, 264 met geometrySure and 66 only these, and
// all were turned right; of 408 from another seed, 245 and 77, all right
// too. Every page geometry turned wrong had a dark border left, lines both
// ways or a lean under 0.2. Such pages went to the detector before (about
// 130 ms, a sixth of a hard page's time) or to bands read in each turn
// (0.37-0.55 s). The page's full reading checks the turn all the same: one
// read in a wrong turn reads as garbage and is read again (reread).
const (
	likelyUp    = 0.20 // Evidence.Up: a lean, not a strong balance
	likelyLines = 5    // a short page's few lines still lean one way
	likelySpeck = 0.30 // specks blur the balance without tipping it
)

// osdSure is the lead of the detector's best turn over its second above
// which the detector decides alone.
const osdSure = 4.0

// minReadDPI is the resolution below which the page is enlarged for the
// detector and the reader.
const minReadDPI = 120

// readFrac is the share of the page's height read in each candidate turn,
// osdFrac the share the orientation detector looks at.
const (
	readFrac = 0.2
	osdFrac  = 0.4
)

// orientation is the orient stage's decision.
type orientation struct {
	layout     raster.Layout // turns and tilt
	method     string        // OrientGeometry, OrientOSD or OrientReading
	confidence float64       // calibrated: the share of such decisions found right
	next       int           // the next-best turns, for a re-read
	evidence   raster.Evidence
}

// orient decides how the page shown by thumb (the analysis image, at dpi,
// in the file's display frame; ink its ink and geo raster.Measure's
// estimate) must be turned to read upright.
func orient(thumb *image.Gray, dpi float64, ink *raster.Ink, geo raster.Layout, eng *ocr.Engine) (orientation, error) {
	o := orientation{layout: geo, method: OrientGeometry, next: (geo.Turns + 2) % 4, evidence: raster.Assess(ink, geo)}
	if tier, ok := geometryTier(o.evidence); ok {
		o.confidence = calibrated(OrientGeometry, tier)
		return o, nil
	}
	// Below about 120 dpi (phone captures, screenshots) letters are too
	// small for the detector's classifier and the reader's line height:
	// both look at a copy enlarged to AnalysisDPI.
	if dpi < minReadDPI {
		k := raster.AnalysisDPI / dpi
		b := thumb.Bounds()
		thumb = raster.Render(thumb, raster.Scale(1/k, 1/k), int(float64(b.Dx())*k), int(float64(b.Dy())*k))
		dpi = raster.AnalysisDPI
	}
	// The detector spends most of its time finding and classifying
	// letters; the densest 40 % of the page's rows holds plenty of them,
	// and looking there alone saves a fifth of its time.
	d, ok, err := eng.DetectOrientation(raster.TextBand(thumb, ink.Threshold, osdFrac), int(math.Round(dpi)))
	if errors.Is(err, ocr.ErrNoOSDModel) {
		ok, err = false, nil // reading alone decides, at more cost
	}
	if err != nil {
		return o, err
	}
	var candidates []int
	if ok {
		second := d.Runner()
		if d.Margin >= osdSure {
			o.method, o.layout, o.next = OrientOSD, along(ink, geo, d.Turns), second
			o.confidence = calibrated(OrientOSD, d.Margin)
			return o, nil
		}
		candidates = []int{d.Turns, second}
		if geo.Turns != d.Turns && geo.Turns != second {
			candidates = append(candidates, geo.Turns)
		}
	} else {
		candidates = []int{geo.Turns, (geo.Turns + 2) % 4}
		if o.evidence.Axis < sureAxis {
			candidates = append(candidates, (geo.Turns+1)%4, (geo.Turns+3)%4)
		}
	}
	best, second, err := readCandidates(thumb, dpi, ink, geo, candidates, eng)
	if err != nil {
		return o, err
	}
	o.method, o.layout, o.next = OrientReading, along(ink, geo, best.turns), second.turns
	o.confidence = calibrated(OrientReading, best.score-second.score)
	return o, nil
}

func geometrySure(e raster.Evidence) bool {
	return e.Up >= sureUp && e.Axis >= sureAxis && e.Lines >= sureLines && e.Edge < sureEdge && e.Specks < sureSpeck
}

// geometryLikely reports whether the geometry's evidence is clear enough
// to decide on, less surely than geometrySure: the lines run one way and
// the edges are clear, but the balance leans less or is blurred.
func geometryLikely(e raster.Evidence) bool {
	return e.Up >= likelyUp && e.Axis >= sureAxis && e.Lines >= likelyLines && e.Edge < sureEdge && e.Specks < likelySpeck
}

// geometryTier reports whether the geometry decides alone, and its score
// for the calibration: 1 when it is sure, 0 when only likely.
func geometryTier(e raster.Evidence) (score float64, ok bool) {
	switch {
	case geometrySure(e):
		return 1, true
	case geometryLikely(e):
		return 0, true
	}
	return 0, false
}

// along is the layout for turns: geo's own tilt when turns keeps geo's line
// direction (a half turn does not change a tilt), else the tilt measured
// along the other direction.
func along(ink *raster.Ink, geo raster.Layout, turns int) raster.Layout {
	if turns%2 == geo.Turns%2 {
		geo.Turns = turns
		return geo
	}
	l := raster.MeasureAxis(ink, turns)
	l.Turns = turns
	return l
}

// reading is one candidate turn read.
type reading struct {
	turns int
	score float64 // mean confidence × share of Vietnamese syllables, 0-100
}

// readCandidates reads the same band of text in each candidate turn and
// returns the best and second-best readings.
func readCandidates(thumb *image.Gray, dpi float64, ink *raster.Ink, geo raster.Layout, candidates []int, eng *ocr.Engine) (best, second reading, err error) {
	var bands [2]*image.Gray // per line direction, read as the turn of 0 or 1
	best.score, second.score = -1, -1
	for _, t := range candidates {
		side := t % 2
		if bands[side] == nil {
			up := raster.Upright(thumb, along(ink, geo, side))
			bands[side] = raster.TextBand(up, ink.Threshold, readFrac)
		}
		band := bands[side]
		if t >= 2 {
			band = raster.Turn(band, 2)
		}
		s, err := readScore(eng, band, dpi)
		if err != nil {
			return best, second, fmt.Errorf("read the page turned %d°: %w", t*90, err)
		}
		r := reading{turns: t, score: s}
		switch {
		case r.score > best.score:
			best, second = r, best
		case r.score > second.score:
			second = r
		}
	}
	if second.score < 0 { // one candidate only
		second = reading{turns: (best.turns + 2) % 4}
	}
	return best, second, nil
}

// readScore reads g as a block of lines and scores the reading.
func readScore(eng *ocr.Engine, g *image.Gray, dpi float64) (float64, error) {
	res, err := eng.RecognizeBlock(g, int(math.Round(dpi)))
	if err != nil {
		return 0, err
	}
	return readingScore(eng, res), nil
}

// readingScore is a reading's mean word confidence weighted, when the
// engine reads Vietnamese, by the share of its letters in Vietnamese
// syllables: text read upside down can score 40 on confidence alone, but
// only a fifth of its words are syllables, and often none is made of
// letters only.
func readingScore(eng *ocr.Engine, res *ocr.Result) float64 {
	if !vietnamese(eng) {
		return res.MeanConfidence
	}
	share, ok := ocr.Plausibility(res.Words)
	if !ok {
		return res.MeanConfidence / 2
	}
	return res.MeanConfidence * share
}

// vietnamese reports whether the engine reads Vietnamese, so that a
// reading can be judged by its syllables.
func vietnamese(eng *ocr.Engine) bool {
	return slices.Contains(strings.Split(eng.Lang(), "+"), "vie")
}

// calibration: for each method, by the score its decision was made with
// (geometry's: 1 when every sign is clear, 0 when likely; OSD's margin,
// a reading's lead), the share of its decisions found right, as
// (right+1)/(n+2), so that a bucket of few pages does not claim
// certainty. The geometry's two tiers are TestGeometryCalibration's
// counts, on the calibration pages cleaned as the normalize stage cleans
// them. The rest was measured by TestOrientCalibration, before geometry
// had its second tier, on 408 turned pages as stored (88 real: the 22
// pages of testdata/realscans in all four turns; 144 drawn by
// hardpage_test.go and 176 generated by testdata/gen/scanset's hard set,
// every class in all four turns): every decision the stage made was
// right. Asked on every page, not only those it decides, OSD chose right
// at a margin under 2 on 4 of 8 (so the stage reads those pages instead),
// and geometry alone on 353 of 408. Reading leads under 20 were never
// seen: 0.5 and 0.7 there are guesses, not measurements. On 408 other
// pages (SOHOA_CALIBRATE=4242) the stage was right on every one too.
type bucket struct {
	min float64 // the score from which this share holds
	p   float64
}

var calibration = map[string][]bucket{
	OrientGeometry: {{0, 0.985}, {1, 0.995}},                  // likely 66/66, sure 264/264 (cleaned pages)
	OrientOSD:      {{osdSure, 0.985}, {6, 0.99}, {8, 0.995}}, // 68/68, 139/139, 182/182
	OrientReading:  readingBuckets,                            // -, -, 2/2, 73/73, 333/333
	OrientReread:   readingBuckets,                            // a re-read is a reading, judged by the same lead
}

var readingBuckets = []bucket{{math.Inf(-1), 0.5}, {10, 0.7}, {20, 0.75}, {30, 0.985}, {50, 0.997}}

// calibrated is the share of decisions made by method with score that
// were right.
func calibrated(method string, score float64) float64 {
	p := 0.0
	for _, b := range calibration[method] {
		if score >= b.min {
			p = b.p
		}
	}
	return p
}

// Reread is the manifest's record of a page read again in another turn
// because its first reading was poor: the turn tried and how each reading
// scored (mean confidence × share of Vietnamese syllables, 0-100).
type Reread struct {
	Rotation int     `json:"rotation_deg"` // the turn tried, as Rotation
	Score    float64 `json:"score"`        // its reading's score
	First    float64 `json:"first_score"`  // the first, whole reading's score
	// Sample is set when a band of lines was read in each turn first, and
	// the other turn's (Score) read no better than the first turn's
	// (Band), so the page was not read again whole.
	Sample bool    `json:"sample,omitempty"`
	Band   float64 `json:"band_score,omitempty"`
	// Kept is set when the page's text came from the re-read.
	Kept bool   `json:"kept"`
	Why  string `json:"why"`
	// confidence is the calibrated confidence in the re-read's turn.
	confidence float64
}

// Thresholds for a re-read: a reading with less mean confidence or a
// smaller share of Vietnamese syllables is tried in another turn; a
// reading with more of its words standing on end than this read text
// running down the page (Tesseract turns such text itself), so the page
// lies on its side.
const (
	rereadConfidence = LowConfidence
	rereadSyllables  = 0.5
	maxSideways      = 0.5
)

// turned is a page raster in another turn, with what it takes to get
// there from the raster it was made from.
type turned struct {
	g     *image.Gray
	turns int     // clockwise quarter turns applied
	skew  float64 // then the tilt undone, counter-clockwise as seen
	w, h  int     // its size
}

// transform maps the first raster's pixels to t's.
func (t turned) transform(w, h int) raster.Affine {
	m, tw, th := raster.QuarterTurn(t.turns, w, h)
	if t.skew != 0 {
		m = m.Then(raster.RotateAbout(-t.skew, float64(tw)/2, float64(th)/2))
	}
	return m
}

// reread checks the page's reading res of g (at dpi, made in the turn o
// decided) and, when it is poor, reads g in the next-best turn. It returns
// the record for the manifest (nil when the reading was good) and, when
// the re-read is to be kept, the new reading and the turn it was made in.
func reread(eng *ocr.Engine, g *image.Gray, dpi float64, threshold uint8, res *ocr.Result, o orientation) (*Reread, *ocr.Result, *turned, error) {
	if len(res.Words) == 0 {
		return nil, nil, nil, nil
	}
	first := readingScore(eng, res)
	share, judged := ocr.Plausibility(res.Words)
	judged = judged && vietnamese(eng)
	var why string
	var sideConf float64 // on its side: the confidence in which side
	var err error
	k := (o.next - o.layout.Turns + 4) % 4
	side := standing(res) > maxSideways
	switch {
	case side:
		// The reading may be fine but ran down the page: the page lies
		// on its side, whatever the orient stage made of it.
		why = "words stood on end: the page lay on its side"
		if k, sideConf, err = sideTurn(eng, g, dpi, threshold); err != nil {
			return nil, nil, nil, err
		}
	case res.MeanConfidence < rereadConfidence:
		why = fmt.Sprintf("mean confidence %.0f under %d", res.MeanConfidence, rereadConfidence)
	case judged && share < rereadSyllables:
		why = fmt.Sprintf("%.0f %% of the letters in Vietnamese syllables", 100*share)
	default:
		return nil, nil, nil, nil
	}
	if k == 0 {
		k = 2
	}
	rec := &Reread{Rotation: (o.layout.Turns + k) % 4 * 90, First: math.Round(first*10) / 10, Why: why}
	var turnedG turned
	if !side { // try a band first, the whole page only if it reads better
		band := raster.TextBand(g, threshold, readFrac)
		here, err := readScore(eng, band, dpi)
		if err != nil {
			return nil, nil, nil, err
		}
		var other *image.Gray
		if k == 2 {
			other = raster.Turn(band, 2) // the same lines, upside down
		} else {
			turnedG = turnRaster(g, dpi, k)
			other = raster.TextBand(turnedG.g, threshold, readFrac)
		}
		there, err := readScore(eng, other, dpi)
		if err != nil {
			return nil, nil, nil, err
		}
		if there <= here {
			rec.Sample, rec.Band, rec.Score = true, math.Round(here*10)/10, math.Round(there*10)/10
			return rec, nil, nil, nil
		}
	}
	if turnedG.g == nil {
		turnedG = turnRaster(g, dpi, k)
	}
	got, err := eng.Recognize(turnedG.g, int(math.Round(dpi)))
	if err != nil {
		return nil, nil, nil, err
	}
	s := readingScore(eng, got)
	rec.Score = math.Round(s*10) / 10
	rec.confidence = calibrated(OrientReread, s-first)
	if side {
		rec.confidence = sideConf
	}
	// On its side, the first reading was of the right words the wrong way
	// round: the re-read wins unless it is much worse.
	if s > first || (side && s > 0.9*first) {
		rec.Kept = true
		return rec, got, &turnedG, nil
	}
	return rec, nil, nil, nil
}

// standing is the share of the reading's words of three letters or more
// whose box is taller than wide.
func standing(res *ocr.Result) float64 {
	var up, all int
	for _, w := range res.Words {
		if len([]rune(w.Text)) < 3 {
			continue
		}
		all++
		if w.Box.Dy() > w.Box.Dx() {
			up++
		}
	}
	if all < 5 {
		return 0
	}
	return float64(up) / float64(all)
}

// sideTurn finds which quarter turn, 1 or 3, brings g (a page lying on
// its side) upright, and the calibrated confidence in it: the detector's
// answer when it is sure, else the better reading of a band in each.
func sideTurn(eng *ocr.Engine, g *image.Gray, dpi float64, threshold uint8) (int, float64, error) {
	d, ok, err := eng.DetectOrientation(g, int(math.Round(dpi)))
	if errors.Is(err, ocr.ErrNoOSDModel) {
		ok, err = false, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if ok && (d.Turns == 1 || d.Turns == 3) && d.Margin >= osdSure {
		return d.Turns, calibrated(OrientOSD, d.Margin), nil
	}
	var score [2]float64
	for i, k := range []int{1, 3} {
		t := turnRaster(g, dpi, k)
		if score[i], err = readScore(eng, raster.TextBand(t.g, threshold, readFrac), dpi); err != nil {
			return 0, 0, err
		}
	}
	if score[1] > score[0] {
		return 3, calibrated(OrientReading, score[1]-score[0]), nil
	}
	return 1, calibrated(OrientReading, score[0]-score[1]), nil
}

// turnRaster turns g by k quarter turns; after a quarter or three-quarter
// turn the lines run the other way, and their tilt, measured along the
// wrong direction before, is measured again and undone.
func turnRaster(g *image.Gray, dpi float64, k int) turned {
	b := g.Bounds()
	t := turned{turns: k}
	if k%2 == 1 {
		thumb, f := raster.Thumbnail(g, dpi)
		thumb = raster.Turn(thumb, k)
		l := raster.MeasureAxis(raster.FindInk(thumb, dpi/float64(f)), 0)
		if math.Abs(l.Skew) >= minSkew {
			t.skew = l.Skew
		}
	}
	_, t.w, t.h = raster.QuarterTurn(k, b.Dx(), b.Dy())
	t.g = raster.Render(g, t.transform(b.Dx(), b.Dy()).Invert(), t.w, t.h)
	return t
}
