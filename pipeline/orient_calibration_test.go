package pipeline

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // the hard set's JPEG pages
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/raster"
	"github.com/sohoa/sohoa/pipeline/scan"
	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

// TestOrientCalibration measures what the calibration table in orient.go
// holds: every page of three sets in all four turns, through each of the
// orient stage's methods whether or not it would be asked, and the stage
// itself. It reads about 400 pages three ways (20 minutes on two cores),
// so it runs only when asked:
//
//	SOHOA_CALIBRATE=1 go test ./pipeline -run TestOrientCalibration -v -timeout 60m
//
// SOHOA_CALIBRATE=N, N over 1, draws and generates the pages from seed N
// instead of the seeds the table was measured on: a check on pages the
// table has not seen.
func TestOrientCalibration(t *testing.T) {
	if os.Getenv("SOHOA_CALIBRATE") == "" {
		t.Skip("set SOHOA_CALIBRATE=1 to measure the orient stage's calibration")
	}
	eng := testEngine(t)
	var cal calibrationRun
	calibrationPages(t, func(pg calibrationPage) {
		for k := range 4 {
			turnedPage := pg.gray
			if k > 0 {
				turnedPage = raster.Turn(pg.gray, k)
			}
			cal.page(t, eng, pg.set, pg.name, turnedPage, pg.dpi, (pg.want+4-k)%4)
		}
	})
	t.Log(cal.report())
}

// calibrationRun tallies decisions by what they were made with.
type calibrationRun struct {
	pages int
	// per source set: pages, and pages the stage turned right
	sets map[string][2]int
	// tallies: key → [n, right]
	final, method, geoUp, osdMargin, readLead map[string]*[2]int
}

func tally(m *map[string]*[2]int, key string, right bool) {
	if *m == nil {
		*m = map[string]*[2]int{}
	}
	if (*m)[key] == nil {
		(*m)[key] = &[2]int{}
	}
	(*m)[key][0]++
	if right {
		(*m)[key][1]++
	}
}

// bucketOf names the bucket of v among edges, ascending.
func bucketOf(v float64, edges ...float64) string {
	lo := "-∞"
	for _, e := range edges {
		if v < e {
			return fmt.Sprintf("[%s, %g)", lo, e)
		}
		lo = fmt.Sprint(e)
	}
	return fmt.Sprintf("[%s, ∞)", lo)
}

func (c *calibrationRun) page(t *testing.T, eng *ocr.Engine, set, name string, g *image.Gray, dpi float64, want int) {
	t.Helper()
	thumb, factor := raster.Thumbnail(g, dpi)
	tdpi := dpi / float64(factor)
	ink := raster.FindInk(thumb, tdpi)
	if ink.Fraction() < BlankInk {
		return
	}
	geo := raster.Measure(ink)
	o, err := orient(thumb, tdpi, ink, geo, eng)
	if err != nil {
		t.Fatal(err)
	}
	right := o.layout.Turns == want
	if !right {
		t.Logf("%s %s turned %d°: %s turned it %d° back (confidence %.3f), want %d°", set, name, 90*((4-want)%4), o.method, 90*o.layout.Turns, o.confidence, 90*want)
	}
	if c.sets == nil {
		c.sets = map[string][2]int{}
	}
	s := c.sets[set]
	s[0]++
	if right {
		s[1]++
	}
	c.sets[set] = s
	c.pages++
	tally(&c.final, bucketOf(o.confidence, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99), right)
	tally(&c.method, o.method, right)
	// Geometry alone, as rotation_confidence used to report it.
	tally(&c.geoUp, bucketOf(geo.UpConfidence, 0.2, 0.4, 0.6, 0.8, 0.95), geo.Turns == want)
	// The detector and the reading on every page, asked or not.
	d, ok, err := eng.DetectOrientation(raster.TextBand(thumb, ink.Threshold, osdFrac), int(tdpi))
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		tally(&c.osdMargin, bucketOf(d.Margin, 2, osdSure, 6, 8), d.Turns == want)
	} else {
		tally(&c.osdMargin, "no answer", false)
	}
	cands := []int{geo.Turns, (geo.Turns + 2) % 4}
	if ok {
		cands = []int{d.Turns, d.Runner()}
	}
	best, second, err := readCandidates(thumb, tdpi, ink, geo, cands, eng)
	if err != nil {
		t.Fatal(err)
	}
	tally(&c.readLead, bucketOf(best.score-second.score, 10, 20, 30, 50), best.turns == want)
}

func (c *calibrationRun) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d turned pages:", c.pages)
	for set, s := range c.sets {
		fmt.Fprintf(&b, " %s %d/%d right;", set, s[1], s[0])
	}
	table := func(title string, m map[string]*[2]int) {
		fmt.Fprintf(&b, "\n\n| %s | pages | right | share |\n|---|---|---|---|\n", title)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := m[k]
			fmt.Fprintf(&b, "| %s | %d | %d | %.3f |\n", k, v[0], v[1], float64(v[1])/float64(v[0]))
		}
	}
	table("rotation_confidence", c.final)
	table("rotation_method", c.method)
	table("geometry alone: UpConfidence (the old rotation_confidence)", c.geoUp)
	table("OSD alone: margin", c.osdMargin)
	table("reading alone (OSD's two best turns): lead", c.readLead)
	return b.String()
}

// TestGeometryCalibration measures the geometry's two tiers (geometrySure,
// geometryLikely) on the calibration pages much as the orient stage sees
// them: each page in all four turns, encoded, decoded and cleaned as the
// normalize stage cleans it (a lid border taken off, seals and signatures
// dropped, light evened, show-through removed), which TestOrientCalibration
// does not do. Not exactly: the drawn pages are drawn in grey, so their
// seals are not dropped, and the hard set's JPEG pages are decoded by Go
// and read back from PNG, not from their own bytes. Geometry costs no
// reading, so this takes minutes, not tens of them; it runs with the
// calibration:
//
//	SOHOA_CALIBRATE=1 go test ./pipeline -run TestGeometryCalibration -v -timeout 30m
//
// It fails if either tier turned a page wrong.
func TestGeometryCalibration(t *testing.T) {
	if os.Getenv("SOHOA_CALIBRATE") == "" {
		t.Skip("set SOHOA_CALIBRATE=1 to measure the geometry's calibration")
	}
	var sure, likely, rest [2]int // pages, turned right
	calibrationPages(t, func(pg calibrationPage) {
		name, dpi, want := pg.set+" "+pg.name, pg.dpi, pg.want
		if pg.noDPI {
			dpi = 0
		}
		for k := range 4 {
			f, err := scan.OpenBytes(name+".png", pngBytes(t, turnImage(pg.colour, k), dpi), scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.Page(1)
			if err != nil {
				t.Fatal(err)
			}
			var r PageReport
			var opt Options
			border := removeBorder(p, &r, opt) // as Process does
			resolveDPI(p, border, &r, opt)
			dropColour(p, &r, opt)
			flattenLight(p, border, &r, opt)
			suppressBleed(p, &r, opt)
			thumb, factor := raster.Thumbnail(p.Gray, p.DPI)
			ink := raster.FindInk(thumb, p.DPI/float64(factor))
			if ink.Fraction() < BlankInk {
				continue
			}
			geo := raster.Measure(ink)
			e := raster.Assess(ink, geo)
			tier := &rest
			if score, ok := geometryTier(e); ok {
				tier = &likely
				if score == 1 {
					tier = &sure
				}
			}
			tier[0]++
			if right := geo.Turns == (want+4-k)%4; right {
				tier[1]++
			} else if tier != &rest {
				t.Errorf("%s turned %d°: geometry (%+v) turned it %d° back, want %d°", name, 90*k, e, 90*geo.Turns, 90*((want+4-k)%4))
			}
		}
	})
	t.Logf("geometry sure: %d/%d right; likely: %d/%d; neither tier (the detector or reading decides; geometry alone would be right on %d of %d)",
		sure[1], sure[0], likely[1], likely[0], rest[1], rest[0])
}

// turnImage turns img k quarter turns clockwise, in colour.
func turnImage(img image.Image, k int) image.Image {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	for range k {
		w, h := src.Rect.Dx(), src.Rect.Dy()
		out := image.NewRGBA(image.Rect(0, 0, h, w))
		for y := range h {
			for x := range w { // (x, y) goes to (h-1-y, x)
				copy(out.Pix[x*out.Stride+4*(h-1-y):][:4], src.Pix[y*src.Stride+4*x:][:4])
			}
		}
		src = out
	}
	return src
}

// calibrationPage is one page of the calibration sets, upright or as
// generated: want is the clockwise quarter turns that bring it upright.
type calibrationPage struct {
	set, name string
	gray      *image.Gray
	colour    image.Image // the hard set's pages in colour, where they have some; else gray
	dpi       float64
	noDPI     bool // its file records no resolution; dpi is the true one
	want      int
}

// calibrationPages hands each page of the calibration sets to one: the
// real scans, pages drawn by hardpage_test.go and testdata/gen/scanset's
// hard set, drawn and generated from the seeds the table was measured on,
// or from SOHOA_CALIBRATE's when it is over 1.
func calibrationPages(t *testing.T, one func(calibrationPage)) {
	drawSeed, setSeed := uint64(500), uint64(77)
	if n, err := strconv.ParseUint(os.Getenv("SOHOA_CALIBRATE"), 10, 64); err == nil && n > 1 {
		drawSeed, setSeed = n, n
	}
	if _, err := os.Stat(realScans); err == nil {
		files, _ := filepath.Glob(filepath.Join(realScans, "*.pdf"))
		for _, path := range files {
			f, err := scan.Open(path, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= f.Pages; n++ {
				p, err := f.Page(n)
				if err != nil {
					t.Fatal(err)
				}
				one(calibrationPage{set: "real", name: fmt.Sprintf("%s p%d", filepath.Base(path), n), gray: p.Gray, colour: p.Gray, dpi: p.DPI})
			}
		}
	}
	for _, c := range append([]degradation{degClean}, degradations...) {
		for i := range 4 {
			p := drawTurnedPage(t, c, 0, drawSeed+uint64(i), anyLayout)
			one(calibrationPage{set: "drawn", name: fmt.Sprintf("%s %d", c, i), gray: p.Gray, colour: p.Gray, dpi: p.DPI})
		}
	}
	files, err := scanset.Hard(scanset.HardPerClass, setSeed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		sf, err := scan.OpenBytes(f.Name, f.Data, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(bytes.NewReader(f.Data)) // in colour, for the dropout
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range f.Pages {
			p, err := sf.Page(i + 1)
			if err != nil {
				t.Fatal(err)
			}
			one(calibrationPage{set: "scanset", name: f.Name, gray: p.Gray, colour: img, dpi: float64(e.DPI), noDPI: e.NoDPI,
				want: (360 - e.RotationDeg) % 360 / 90})
		}
	}
}
