package pipeline

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline/raster"
	"github.com/sohoa/sohoa/pipeline/scan"
)

// realScans holds real government scans (no truth text; see its README),
// committed so that every clone reads them.
const realScans = "../testdata/realscans"

func testEngine(t *testing.T) *ocr.Engine {
	t.Helper()
	eng, err := ocr.NewEngine(DefaultLang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// orientStage runs the orient stage on g, at dpi, as Process does.
func orientStage(t *testing.T, eng *ocr.Engine, g *image.Gray, dpi float64) (orientation, *raster.Ink) {
	t.Helper()
	thumb, factor := raster.Thumbnail(g, dpi)
	ink := raster.FindInk(thumb, dpi/float64(factor))
	o, err := orient(thumb, dpi/float64(factor), ink, raster.Measure(ink), eng)
	if err != nil {
		t.Fatal(err)
	}
	return o, ink
}

// TestOrientDegradedPages turns a prose page and a table page of every
// degradation class all four ways: the orient stage must find the turn
// that brings each upright. Before it checked by reading, geometry alone
// turned 9 of 10 such pages wrong, most at full confidence.
func TestOrientDegradedPages(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 72 pages")
	}
	eng := testEngine(t)
	for _, c := range append([]degradation{degClean}, degradations...) {
		t.Run(string(c), func(t *testing.T) {
			for _, layout := range []int{proseLayout, tableLayout} {
				for turns := range 4 {
					p := drawTurnedPage(t, c, turns, 11, layout)
					o, _ := orientStage(t, eng, p.Gray, p.DPI)
					want := (4 - turns) % 4
					what := fmt.Sprintf("%s page (table %v) turned %d°", c, p.Table, 90*turns)
					t.Logf("%s: %s turned %d° back (confidence %.2f; geometry said %d°, up %.2f, axis %.2f)",
						what, o.method, 90*o.layout.Turns, o.confidence, 90*raster.Measure(mustInk(p)).Turns, o.evidence.Up, o.evidence.Axis)
					if o.layout.Turns != want {
						t.Errorf("%s: turned %d° back by %s, want %d°", what, 90*o.layout.Turns, o.method, 90*want)
					}
				}
			}
		})
	}
}

func mustInk(p *turnedPage) *raster.Ink {
	thumb, f := raster.Thumbnail(p.Gray, p.DPI)
	return raster.FindInk(thumb, p.DPI/float64(f))
}

// TestCleanPagesDecidedByGeometry: clean printed pages, the bulk of the
// work, must not pay for the detector or a reading.
func TestCleanPagesDecidedByGeometry(t *testing.T) {
	eng := testEngine(t)
	for turns := range 4 {
		p := drawTurnedPage(t, degClean, turns, 23, proseLayout)
		o, _ := orientStage(t, eng, p.Gray, p.DPI)
		if o.method != OrientGeometry || o.layout.Turns != (4-turns)%4 {
			t.Errorf("clean page turned %d°: %s turned it %d° back, want geometry alone, %d°",
				90*turns, o.method, 90*o.layout.Turns, 90*((4-turns)%4))
		}
	}
}

// TestRereadTriesNextTurn hands the OCR stage a page the orient stage got
// wrong, upside down and on its side: the poor or sideways reading must be
// noticed and the page read again in the right turn.
func TestRereadTriesNextTurn(t *testing.T) {
	eng := testEngine(t)
	p := drawTurnedPage(t, degNoise, 0, 31, proseLayout)
	for _, c := range []struct {
		name     string
		wrong    int // quarter turns the page is left off by
		decided  orientation
		wantTurn int // the turn the re-read must make
	}{
		{"upside down", 2, orientation{next: 2}, 2},
		{"on its side", 1, orientation{next: 2}, 3},
		{"on its other side", 3, orientation{next: 2}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := raster.Turn(p.Gray, c.wrong)
			res, err := eng.Recognize(g, int(p.DPI))
			if err != nil {
				t.Fatal(err)
			}
			thumb, f := raster.Thumbnail(g, p.DPI)
			ink := raster.FindInk(thumb, p.DPI/float64(f))
			rec, better, alt, err := reread(eng, g, p.DPI, ink.Threshold, res, c.decided)
			if err != nil {
				t.Fatal(err)
			}
			if rec == nil {
				t.Fatalf("reading of confidence %.0f, %.0f %% of words standing, not checked", res.MeanConfidence, 100*standing(res))
			}
			t.Logf("%+v", *rec)
			if better == nil || !rec.Kept || alt.turns != c.wantTurn {
				t.Fatalf("re-read not kept in turn %d: %+v", c.wantTurn, *rec)
			}
			if better.MeanConfidence < 80 {
				t.Errorf("re-read confidence %.0f", better.MeanConfidence)
			}
		})
	}
	// A good reading is left alone.
	res, err := eng.Recognize(p.Gray, int(p.DPI))
	if err != nil {
		t.Fatal(err)
	}
	if rec, _, _, err := reread(eng, p.Gray, p.DPI, 128, res, orientation{next: 2}); err != nil || rec != nil {
		t.Errorf("upright page of confidence %.0f re-read: %+v, %v", res.MeanConfidence, rec, err)
	}
}

// commonWords are among the most frequent in Vietnamese administrative
// text; every page of a decision, a resolution or a circular holds some.
var commonWords = []string{"của", "và", "các", "được", "theo", "trong", "thực hiện", "quyết định", "việt nam", "bộ", "có", "về", "nhà nước"}

// TestRealScansReadUpright runs every page of the real scans through the
// pipeline. With no truth text, "upright" is checked three ways that fail
// on a wrong turn: the manifest's turn must read much better than the
// half turn from it, in a band read independently of the page's OCR; the
// text must hold common Vietnamese words; and its words must lie, not
// stand.
func TestRealScansReadUpright(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 22 pages")
	}
	eng := testEngine(t)
	files, err := filepath.Glob(filepath.Join(realScans, "*.pdf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no PDF in %s: %v", realScans, err)
	}
	for _, path := range files {
		f, err := scan.Open(path, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= f.Pages; n++ {
			got, err := Process(f, n, eng, Options{OCRDPI: DefaultOCRDPI})
			if err != nil {
				t.Fatal(err)
			}
			r := got.Report
			name := fmt.Sprintf("%s p%d", filepath.Base(path), n)

			p, err := f.Page(n)
			if err != nil {
				t.Fatal(err)
			}
			thumb, factor := raster.Thumbnail(p.Gray, p.DPI)
			dpi := p.DPI / float64(factor)
			ink := raster.FindInk(thumb, dpi)
			band := raster.TextBand(raster.Upright(thumb, raster.Layout{Turns: r.Rotation / 90, Skew: r.Skew}), ink.Threshold, readFrac)
			here, err := readScore(eng, band, dpi)
			if err != nil {
				t.Fatal(err)
			}
			there, err := readScore(eng, raster.Turn(band, 2), dpi)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ToLower(r.Text)
			var found []string
			for _, w := range commonWords {
				if strings.Contains(text, w) {
					found = append(found, w)
				}
			}
			var up, all int
			for _, w := range r.WordBoxes {
				if len([]rune(w.Text)) >= 3 {
					all++
					if w.Box[3]-w.Box[1] > w.Box[2]-w.Box[0] {
						up++
					}
				}
			}
			t.Logf("%s: turned %d° by %s (confidence %.2f), OCR confidence %.1f; band reads %.0f, half turned %.0f; %d common words",
				name, r.Rotation, r.RotationMethod, r.RotationConfidence, r.OCRConfidence, here, there, len(found))
			if here-there < 20 {
				t.Errorf("%s: turned %d°, its band scores %.0f, no clear lead over the half turn's %.0f", name, r.Rotation, here, there)
			}
			if len(found) < 2 {
				t.Errorf("%s: text holds %d of the common words (%v)", name, len(found), found)
			}
			if all == 0 || up*4 > all {
				t.Errorf("%s: %d of %d words stand on end", name, up, all)
			}
			if r.OCRConfidence < 75 {
				t.Errorf("%s: OCR confidence %.1f", name, r.OCRConfidence)
			}
		}
	}
}
